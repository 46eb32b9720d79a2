-- PostgreSQL's 0024 keeps held answers in their row; SQLite keeps a row
-- where it is already. The number keeps both backends' migrations in step.
SELECT 1;
