-- The seed hands-on as one script: data and labels, then features.
-- Later steps (training, experiments, registry, production) join as they are built.
--
--   firn -f sql/pipeline.sql [--set data_dir=../shared/seed-data]
\i sql/01_data_exploration.sql
\i sql/02_features.sql
