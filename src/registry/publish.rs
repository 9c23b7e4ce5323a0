//! Publishing a new model version.
//!
//! The model file is written first under a name no other writer can pick
//! (`model-<uuid>.parquet`; DESIGN.md §3 says `model.parquet`, but with one
//! fixed name two concurrent publishers of one version would overwrite each
//! other's file before either manifest lands). The manifest, which names that
//! file, is then published with put-if-absent: that single write is the moment
//! the version appears. The loser of a race gets
//! `model 'm' version 'v1' already exists` and its file is removed (best
//! effort); a crash between the two writes leaves only a file no manifest
//! names, which no reader ever sees. Last, the pointer log records the
//! publication (and makes the first version the default).

use bytes::Bytes;
use firnml_udfs::model::TreeEnsemble;

use super::manifest::{self, FeatureSignature, MANIFEST_FORMAT_VERSION, Manifest, NewVersion};
use super::pointers::{Change, PointerState, live};
use super::{Registry, layout, names, plan_error};
use crate::error::{Error, Result};
use crate::ml::model_file;
use crate::storage::crash_point;
use crate::storage::store::PutOutcome;

/// The error of publishing a version that exists.
fn already_exists(name: &str, version: &str) -> Error {
    Error::version_exists(name, version)
}

/// Refuses a version name the model's pointers already use.
fn check_new_version(name: &str, version: &str, state: &PointerState) -> Result<()> {
    if state.dropped_versions.contains(version) {
        return Err(plan_error(format!(
            "model '{name}' version '{version}' was dropped; version names are not reused, choose another"
        )));
    }
    if state.aliases.contains_key(version) {
        return Err(plan_error(format!(
            "model '{name}' has an alias '{version}'; a version may not be named like an alias"
        )));
    }
    Ok(())
}

impl Registry {
    /// Publishes `model` as version `new.version` of model `new.name` and
    /// returns its manifest. The first version of a model becomes its default
    /// (as does any version published while the model has no default); later
    /// versions leave the default alone.
    ///
    /// Fails with a planning error when a name is invalid, when the version
    /// exists (`model 'm' version 'v1' already exists`), was dropped, or is
    /// named like an alias of the model. Should recording the publication in the
    /// pointer log fail after the manifest landed, the error is returned but the
    /// version exists (without becoming the default).
    pub async fn publish(&self, model: &TreeEnsemble, new: NewVersion) -> Result<Manifest> {
        let name = names::model_name(&new.name)?;
        let version = names::version(&new.version)?;
        let latest = self.latest_pointers(&name).await?;
        if latest.as_ref().is_some_and(|e| e.is_model_drop()) {
            // A drop of this model was interrupted: finish it, then start afresh.
            self.delete_model_files(&name).await?;
        } else if let Some(state) = live(latest.as_ref()) {
            check_new_version(&name, &version, state)?;
        }

        let file = layout::new_model_file_name();
        let file_path = self
            .store
            .path(&layout::model_file_path(&name, &version, &file));
        self.store
            .put(&file_path, model_file::to_parquet(model)?)
            .await?;

        let manifest = Manifest {
            format_version: MANIFEST_FORMAT_VERSION,
            name: name.clone(),
            version: version.clone(),
            created_at: self.now(),
            comment: new.comment.filter(|c| !c.is_empty()),
            objective: model.objective().name().to_string(),
            signature: FeatureSignature::of_model(model),
            params: new.params,
            param_origins: new.param_origins,
            metrics: new.metrics,
            training_data_fingerprint: new.training_data_fingerprint,
            trainer: new.trainer,
            lineage: new.lineage,
            run_id: new.run_id,
            label: new.label,
            split: new.split,
            profile: new.profile,
            firn_version: Some(manifest::FIRN_VERSION.to_string()),
            model_file: file,
        };
        if let Some(pending) = &new.pending_run {
            let path = layout::pending_run_path(&name, &version);
            self.store
                .put(&self.store.path(&path), Bytes::from(pending.clone()))
                .await?;
        }
        crash_point::reached("model.before_manifest");
        let manifest_path = layout::manifest_path(&name, &version);
        let outcome = match manifest::encode(&manifest, &manifest_path) {
            Ok(json) => {
                self.store
                    .put_if_absent(&self.store.path(&manifest_path), Bytes::from(json))
                    .await
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(PutOutcome::Written) => {}
            Ok(PutOutcome::AlreadyExists) => {
                // Best effort: a file left behind is invisible anyway.
                let _ = self.store.delete(&file_path).await;
                return Err(already_exists(&name, &version));
            }
            // The put may have landed even though it reports failure (a lost reply
            // from a remote store), so the file stays: at worst an invisible orphan.
            Err(e) => return Err(e),
        }

        crash_point::reached("model.before_pointer");
        // With no default recorded, readers take the oldest version (a crash may
        // have left an earlier first version without its pointer step): record that.
        let derived_default = match self.view(&name).await {
            Ok(view) => view.and_then(|v| v.state.default),
            Err(_) => None,
        };
        self.update_pointers(&name, |latest| {
            let mut state = live(latest).cloned().unwrap_or_default();
            let became_default = state.default.is_none()
                && derived_default
                    .as_ref()
                    .is_none_or(|oldest| *oldest == version);
            if state.default.is_none() {
                state.default = Some(derived_default.clone().unwrap_or_else(|| version.clone()));
            }
            let change = Change::Published {
                version: version.clone(),
                became_default,
            };
            Ok((state, change))
        })
        .await?;
        Ok(manifest)
    }

    /// A version name for the next version of `name`: `v<N+1>` where `vN` is
    /// the highest version of that form the model has or had (`v1` for a new model).
    pub async fn next_version(&self, name: &str) -> Result<String> {
        let name = names::model_name(name)?;
        let mut taken = self.version_dirs(&name).await?;
        let latest = self.latest_pointers(&name).await?;
        if let Some(state) = live(latest.as_ref()) {
            taken.extend(state.dropped_versions.iter().cloned());
        }
        let highest = taken
            .iter()
            .filter_map(|v| v.strip_prefix('v')?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        Ok(format!("v{}", highest.saturating_add(1)))
    }

    /// Deletes the runs stored beside `name@version` once they are in the
    /// experiment log, so that opening the database finds nothing to finish.
    pub async fn forget_pending_run(&self, name: &str, version: &str) -> Result<()> {
        let name = names::model_name(name)?;
        let path = layout::pending_run_path(&name, version);
        self.store.delete(&self.store.path(&path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        backends, model, new_version, plan_message, publish_versions,
    };
    use super::*;
    use crate::registry::ModelRef;

    #[tokio::test]
    async fn publish_then_load_round_trips() {
        for b in backends().await {
            let (reg, label) = (&b.registry, b.label);
            let trained = model(1);
            let published = reg
                .publish(&trained, new_version("Churn", "V1"))
                .await
                .expect("publishes");
            assert_eq!(
                (published.name.as_str(), published.version.as_str()),
                ("churn", "v1")
            );
            assert_eq!(published.created_at, "2025-01-01T00:00:00.000Z", "{label}");
            assert!(published.model_file.starts_with("model-"), "{label}");
            assert_eq!(published.signature, FeatureSignature::of_model(&trained));

            let (manifest, loaded) = reg
                .load(&ModelRef::parse("churn@v1").expect("ref"))
                .await
                .expect("loads");
            assert_eq!(loaded, trained, "{label}");
            assert_eq!(manifest, published, "{label}");
            assert_eq!(manifest.params, vec![("max_depth".into(), "3".into())]);
            assert_eq!(manifest.metrics, vec![("auc".into(), 0.875)]);
            assert_eq!(manifest.lineage, vec!["table:customers".to_string()]);
            assert_eq!(manifest.comment.as_deref(), Some("baseline"));

            // The first version became the default; a later one does not move it.
            let second = model(2);
            reg.publish(&second, new_version("churn", "v2"))
                .await
                .expect("second version");
            let (default, loaded) = reg
                .load(&ModelRef::parse("CHURN").expect("ref"))
                .await
                .expect("default");
            assert_eq!(
                (default.version.as_str(), &loaded),
                ("v1", &trained),
                "{label}"
            );
            let (_, loaded) = reg
                .load(&ModelRef::parse("churn@v2").expect("ref"))
                .await
                .expect("v2");
            assert_eq!(loaded, second, "{label}");
            assert_eq!(reg.next_version("churn").await.expect("next"), "v3");
            assert_eq!(reg.next_version("fresh").await.expect("next"), "v1");
        }
    }

    #[tokio::test]
    async fn concurrent_publishers_of_one_version_one_wins() {
        for b in backends().await {
            let reg = &b.registry;
            let (a, c) = (model(1), model(2));
            let (first, second) = tokio::join!(
                reg.publish(&a, new_version("m", "v1")),
                reg.publish(&c, new_version("m", "v1")),
            );
            let (winner, loser) = match (first, second) {
                (Ok(_), Err(e)) => (&a, e),
                (Err(e), Ok(_)) => (&c, e),
                (x, y) => panic!("{}: expected one winner, got {x:?} and {y:?}", b.label),
            };
            assert_eq!(plan_message(loser), "model 'm' version 'v1' already exists");
            let (_, loaded) = reg
                .load(&ModelRef::parse("m@v1").expect("ref"))
                .await
                .expect("loads");
            assert_eq!(&loaded, winner, "{}", b.label);
            // The loser's model file was removed: the manifest and one model file remain.
            let files = reg
                .store()
                .list(&reg.store().path("models/m/v1"))
                .await
                .expect("lists");
            assert_eq!(files.len(), 2, "{}: {files:?}", b.label);
        }
    }

    #[tokio::test]
    async fn an_unfinished_publish_is_invisible_and_blocks_nothing() {
        for b in backends().await {
            let reg = &b.registry;
            // A crash after the model file, before the manifest.
            let orphan = reg.store().path("models/m/v1/model-crashed.parquet");
            let bytes = model_file::to_parquet(&model(1)).expect("encodes");
            reg.store().put(&orphan, bytes).await.expect("writes");
            assert!(
                reg.list_models().await.expect("lists").is_empty(),
                "{}",
                b.label
            );
            let m = plan_message(
                reg.load(&ModelRef::parse("m").expect("ref"))
                    .await
                    .unwrap_err(),
            );
            assert_eq!(m, "unknown model 'm'; models: none", "{}", b.label);
            let m = plan_message(reg.list_versions("m").await.unwrap_err());
            assert_eq!(m, "unknown model 'm'; models: none");

            reg.publish(&model(2), new_version("m", "v1"))
                .await
                .expect("the orphan does not block the version");
            let orphan = reg.store().path("models/m/v2/model-crashed.parquet");
            let bytes = model_file::to_parquet(&model(3)).expect("encodes");
            reg.store().put(&orphan, bytes).await.expect("writes");
            let versions = reg.list_versions("m").await.expect("lists");
            assert_eq!(versions.len(), 1, "{}", b.label);
            let m = plan_message(
                reg.resolve(&ModelRef::parse("m@v2").expect("ref"))
                    .await
                    .unwrap_err(),
            );
            assert_eq!(
                m,
                "model 'm' has no version or alias 'v2'; versions: v1; aliases: none"
            );
        }
    }

    #[tokio::test]
    async fn names_are_checked_before_anything_is_written() {
        for b in backends().await {
            let reg = &b.registry;
            for (name, version, bad) in [
                ("../x", "v1", "invalid model name '../x'"),
                ("a/b", "v1", "invalid model name 'a/b'"),
                ("a b", "v1", "invalid model name 'a b'"),
                ("m", "../v1", "invalid version '../v1'"),
                ("m", "_refs", "invalid version '_refs'"),
            ] {
                let err = reg
                    .publish(&model(1), new_version(name, version))
                    .await
                    .unwrap_err();
                assert!(plan_message(err).starts_with(bad), "{}: {bad}", b.label);
            }
            let written = reg
                .store()
                .list(&reg.store().path("models"))
                .await
                .expect("lists");
            assert!(written.is_empty(), "{}: {written:?}", b.label);
            assert!(
                reg.store()
                    .list(&reg.store().path("x"))
                    .await
                    .expect("lists")
                    .is_empty()
            );
        }
    }

    #[tokio::test]
    async fn versions_never_shadow_aliases_or_reuse_dropped_names() {
        for b in backends().await {
            let reg = &b.registry;
            publish_versions(reg, "m", &["v1", "v2"]).await;
            reg.set_alias("m", "v1", "prod").await.expect("alias");
            let err = reg
                .publish(&model(1), new_version("m", "prod"))
                .await
                .unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' has an alias 'prod'; a version may not be named like an alias"
            );
            reg.drop_version("m", "v2").await.expect("drops");
            let err = reg
                .publish(&model(1), new_version("m", "v2"))
                .await
                .unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' version 'v2' was dropped; version names are not reused, choose another"
            );
            assert_eq!(
                reg.next_version("m").await.expect("next"),
                "v3",
                "{}",
                b.label
            );
        }
    }
}
