-- The seed hands-on as one script: data and labels, features, training,
-- experiments, registry and production scoring.
--
--   firn -f sql/pipeline.sql [--set data_dir=../shared/seed-data] [--set out_dir=out]
\i sql/01_data_exploration.sql
\i sql/02_features.sql
\i sql/03_model_training.sql
\i sql/04_experiment_tracking.sql
\i sql/05_model_registry.sql
\i sql/06_production.sql
