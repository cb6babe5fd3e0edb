DROP TABLE sequence_marks;
