-- The seed hands-on as one script: data and labels, features, training,
-- experiments, registry, production scoring and monitoring.
--
--   firn -f sql/pipeline.sql [--set data_dir=../shared/seed-data] [--set out_dir=out]
\ir 01_data_exploration.sql
\ir 02_features.sql
\ir 03_model_training.sql
\ir 04_experiment_tracking.sql
\ir 05_model_registry.sql
\ir 06_production.sql
\ir 07_monitoring.sql
