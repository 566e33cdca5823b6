-- Run once by the postgres image on an empty volume: the warehouse and the tax front-end exchange
-- live in their own databases beside Airflow's metadata database.
CREATE DATABASE yibao OWNER airflow;
CREATE DATABASE tax_exchange OWNER airflow;
