DROP TABLE responses;
DROP TABLE locate_codes;
DROP TABLE response_codes;
DROP TABLE response_apis;
