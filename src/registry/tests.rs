//! Whole-registry scenarios: damaged files and reopening a database.

use datafusion::error::DataFusionError;

use super::ModelRef;
use super::test_support::{
    backends, model, new_version, plan_message, publish_versions, registry_of,
};
use crate::Database;
use crate::error::Error;

fn corrupt_file(err: Error) -> (String, String) {
    match err {
        Error::Corrupt { path, reason } => (path, reason),
        other => panic!("expected a corrupt-file error, got {other:?}"),
    }
}

#[tokio::test]
async fn damaged_manifests_and_model_files_are_errors_naming_the_file() {
    for b in backends().await {
        let reg = &b.registry;
        let published = reg
            .publish(&model(1), new_version("m", "v1"))
            .await
            .expect("v1");
        reg.publish(&model(1), new_version("m", "v2"))
            .await
            .expect("v2");
        let store = reg.store();
        let v1 = ModelRef::parse("m@v1").expect("ref");

        let file = format!("models/m/v1/{}", published.model_file);
        store
            .put(&store.path(&file), "PAR1 not really".into())
            .await
            .expect("damages");
        let (path, reason) = corrupt_file(reg.load(&v1).await.unwrap_err());
        assert_eq!(path, file, "{}", b.label);
        assert!(reason.starts_with("not a valid model file: "), "{reason}");
        store.delete(&store.path(&file)).await.expect("deletes");
        let (path, reason) = corrupt_file(reg.load(&v1).await.unwrap_err());
        assert_eq!(
            (path.as_str(), reason.as_str()),
            (
                file.as_str(),
                "the model file named by the manifest is missing"
            )
        );

        let manifest = "models/m/v2/manifest.json";
        store
            .put(&store.path(manifest), "{\"format_version\": 1,".into())
            .await
            .expect("damages");
        let v2 = ModelRef::parse("m@v2").expect("ref");
        let (path, reason) = corrupt_file(reg.load(&v2).await.unwrap_err());
        assert_eq!(path, manifest, "{}", b.label);
        assert!(reason.starts_with("not valid JSON"), "{reason}");
        // The listing goes around the damaged version and says what is damaged.
        let listed: Vec<String> = reg
            .list_versions("m")
            .await
            .expect("the other versions")
            .into_iter()
            .map(|m| m.version)
            .collect();
        assert_eq!(listed, ["v1"], "{}", b.label);
        let models = reg.list_models().await.expect("listing");
        let problem = models[0].problem.as_deref().unwrap_or_default();
        assert!(
            problem.contains("version 'v2' is damaged") && problem.contains(manifest),
            "{problem}"
        );
        let message = reg.load(&v2).await.unwrap_err().to_string();
        assert!(
            message.starts_with("corrupt database file 'models/m/v2/manifest.json'"),
            "{message}"
        );

        store
            .put(&store.path(manifest), r#"{"format_version": 9}"#.into())
            .await
            .expect("writes");
        let (_, reason) = corrupt_file(reg.load(&v2).await.unwrap_err());
        assert_eq!(
            reason,
            format!(
                "written by a newer Firn (manifest format 9, this build reads up to {})",
                super::MANIFEST_FORMAT_VERSION
            )
        );

        let entry = "models/m/_refs/00000000000000000002.json";
        store
            .put(&store.path(entry), "[]".into())
            .await
            .expect("damages");
        let (path, _) = corrupt_file(reg.history("m").await.unwrap_err());
        assert_eq!(path, entry, "{}", b.label);
    }
}

/// Issue 12, finding 4: one bad model never breaks the registry's listings.
#[tokio::test]
async fn a_damaged_model_is_listed_as_such_beside_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Database::open(dir.path().join("db").to_string_lossy())
        .await
        .expect("db");
    let reg = registry_of(&db);
    for name in ["a", "b", "c"] {
        reg.publish(&model(1), new_version(name, "v1"))
            .await
            .expect("publish");
    }
    let store = reg.store();
    store
        .put(
            &store.path("models/b/_refs/00000000000000000001.json"),
            "{ damaged".into(),
        )
        .await
        .expect("damages");
    let models = reg.list_models().await.expect("listing");
    let names: Vec<(&str, bool)> = models
        .iter()
        .map(|m| (m.name.as_str(), m.problem.is_some()))
        .collect();
    assert_eq!(names, [("a", false), ("b", true), ("c", false)]);
    let batches = db
        .sql("SELECT model, versions, problem IS NOT NULL AS damaged FROM firn.models ORDER BY model")
        .await
        .expect("firn.models");
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
    db.sql("SHOW MODELS").await.expect("SHOW MODELS");
    db.sql("SHOW VERSIONS IN MODEL a")
        .await
        .expect("SHOW VERSIONS of another");
    let rows = db
        .sql("SELECT model FROM firn.model_versions")
        .await
        .expect("firn.model_versions");
    assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 2);
    let err = db
        .sql("SHOW VERSIONS IN MODEL b")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("models/b/_refs/00000000000000000001.json"),
        "{err}"
    );
}

/// Issue 12, finding 6: a crash between a first version's manifest and its
/// pointer step leaves a whole model: readers derive the default, and the next
/// publication records it.
#[tokio::test]
async fn a_first_version_without_its_pointer_step_is_the_default() {
    for b in backends().await {
        let reg = &b.registry;
        reg.publish(&model(1), new_version("m", "v1"))
            .await
            .expect("v1");
        let store = reg.store();
        store
            .delete(&store.path("models/m/_refs/00000000000000000001.json"))
            .await
            .expect("as if killed before the pointer step");
        let (manifest, _) = reg
            .load(&ModelRef::parse("m").expect("ref"))
            .await
            .expect("the default is derived");
        assert_eq!(manifest.version, "v1", "{}", b.label);
        let models = reg.list_models().await.expect("listing");
        assert_eq!(models[0].default_version.as_deref(), Some("v1"));
        reg.publish(&model(2), new_version("m", "v2"))
            .await
            .expect("v2");
        assert_eq!(
            reg.pointers("m")
                .await
                .expect("pointers")
                .default
                .as_deref(),
            Some("v1"),
            "{}",
            b.label
        );
    }
}

#[tokio::test]
async fn unknown_references_list_what_exists() {
    for b in backends().await {
        let reg = &b.registry;
        let err = reg
            .resolve(&ModelRef::parse("m").expect("ref"))
            .await
            .unwrap_err();
        assert_eq!(plan_message(err), "unknown model 'm'; models: none");
        reg.publish(&model(1), new_version("churn", "v1"))
            .await
            .expect("publishes");
        reg.publish(&model(1), new_version("ltv", "v1"))
            .await
            .expect("publishes");
        let err = reg
            .load(&ModelRef::parse("m@v1").expect("ref"))
            .await
            .unwrap_err();
        assert_eq!(plan_message(err), "unknown model 'm'; models: churn, ltv");
        let err = reg
            .describe(&ModelRef::parse("churn@v2").expect("ref"))
            .await
            .unwrap_err();
        assert_eq!(
            plan_message(err),
            "model 'churn' has no version or alias 'v2'; versions: v1; aliases: none"
        );
        // Through DataFusion (a model named while DataFusion plans) the error keeps its kind.
        let err = reg
            .resolve(&ModelRef::parse("nope").expect("ref"))
            .await
            .unwrap_err();
        let df: DataFusionError = err.into();
        let back = crate::Error::from(DataFusionError::Context("planning".into(), Box::new(df)));
        assert!(
            matches!(&back, crate::Error::NotFound { kind: crate::error::ObjectKind::Model, name, .. } if name == "nope"),
            "{}: {back:?}",
            b.label
        );
        assert_eq!(back.to_string(), "unknown model 'nope'; models: churn, ltv");
    }
}

#[tokio::test]
async fn a_reopened_database_shows_the_same_registry() {
    let mut backends = backends().await;
    let b = backends.pop().expect("local backend");
    let dir = b.dir.expect("a directory");
    let reg = &b.registry;
    publish_versions(reg, "churn", &["v1", "v2", "v3"]).await;
    reg.publish(&model(2), new_version("ltv", "2024.1"))
        .await
        .expect("publishes");
    reg.set_default("churn", "v2").await.expect("default");
    reg.set_alias("churn", "v3", "canary").await.expect("alias");
    reg.set_comment("churn", "v2", "promoted")
        .await
        .expect("comment");
    let before = (
        reg.list_models().await.expect("models"),
        reg.list_versions("churn").await.expect("versions"),
        reg.pointers("churn").await.expect("pointers"),
        reg.history("churn").await.expect("history"),
    );
    drop(backends);

    let reopened = Database::open(dir.path().to_string_lossy())
        .await
        .expect("reopens");
    for reg in [reopened.registry(), registry_of(&reopened)] {
        let after = (
            reg.list_models().await.expect("models"),
            reg.list_versions("churn").await.expect("versions"),
            reg.pointers("churn").await.expect("pointers"),
            reg.history("churn").await.expect("history"),
        );
        assert_eq!(after, before);
        let (manifest, loaded) = reg
            .load(&ModelRef::parse("churn@canary").expect("ref"))
            .await
            .expect("loads");
        assert_eq!((manifest.version.as_str(), &loaded), ("v3", &model(1)));
        let info = reg
            .describe(&ModelRef::parse("churn").expect("ref"))
            .await
            .expect("describes");
        assert_eq!(
            (info.manifest.version.as_str(), info.is_default),
            ("v2", true)
        );
        assert_eq!(info.manifest.comment.as_deref(), Some("promoted"));
    }
    let models = &before.0;
    assert_eq!(models.len(), 2);
    assert_eq!(
        (
            models[0].name.as_str(),
            models[0].default_version.as_deref(),
            models[0].versions
        ),
        ("churn", Some("v2"), 3)
    );
    assert_eq!(models[0].latest_created_at, "2025-01-01T00:00:04.000Z");
    assert_eq!(models[1].name, "ltv");
}
