DROP TABLE desk_keys;
