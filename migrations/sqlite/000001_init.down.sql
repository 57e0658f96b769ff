-- No BEGIN/COMMIT: the migration runner runs each migration in a transaction.
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS group_members;
DROP TABLE IF EXISTS groups;
DROP TABLE IF EXISTS user_emails;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS tokens;
DROP TABLE IF EXISTS tenants;
