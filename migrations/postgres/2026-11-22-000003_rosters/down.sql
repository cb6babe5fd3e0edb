DROP TABLE rosters;
DROP TABLE user_channels;
