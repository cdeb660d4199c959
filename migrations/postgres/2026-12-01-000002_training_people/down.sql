ALTER TABLE access_review_items DROP COLUMN background_check_on;
ALTER TABLE users DROP COLUMN background_check_on;
ALTER TABLE users ADD COLUMN training_provider TEXT;
ALTER TABLE users ADD COLUMN training_completed DATE;
UPDATE users SET
    training_provider = (SELECT t.provider FROM training_records t
                         WHERE t.user_id = users.id AND t.kind = 'fr_system'
                         ORDER BY t.completed_on DESC, t.id DESC LIMIT 1),
    training_completed = (SELECT t.completed_on FROM training_records t
                          WHERE t.user_id = users.id AND t.kind = 'fr_system'
                          ORDER BY t.completed_on DESC, t.id DESC LIMIT 1);
DROP TABLE training_records;
