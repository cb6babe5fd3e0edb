DROP TABLE report_tickets;
DROP TABLE investigations;
