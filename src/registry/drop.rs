//! Dropping versions and models. The pointer log records the drop first, then
//! files are deleted, manifests before model files, so a crash part-way leaves
//! nothing half-visible: a dropped version is invisible from the moment its
//! drop is logged, whatever files linger.

use super::names;
use super::pointers::{Change, live};
use super::{Registry, dropped_model, dropped_version, layout, plan_error};
use crate::error::Result;

impl Registry {
    /// Drops `name@version`, removing the aliases that point at it. The default
    /// version cannot be dropped while the model has other versions; dropping
    /// a model's only version drops the model. Dropped version names are not
    /// reused.
    pub async fn drop_version(&self, name: &str, version: &str) -> Result<()> {
        let name = names::model_name(name)?;
        let version = names::version(version)?;
        let view = self.existing(&name).await?;
        if !view.has_version(&version) {
            return Err(view.no_version(&name, &version));
        }
        if view.versions.len() == 1 {
            return self.drop_model(&name).await;
        }
        self.update_pointers(&name, |latest| {
            let Some(state) = live(latest) else {
                return Err(dropped_model(&name));
            };
            let mut state = state.clone();
            if state.default.as_deref() == Some(version.as_str()) {
                return Err(plan_error(format!(
                    "model '{name}' version '{version}' is the default version; \
                     make another version the default before dropping it"
                )));
            }
            if !state.dropped_versions.insert(version.clone()) {
                return Err(dropped_version(&name, &version));
            }
            let removed_aliases = state.aliases_of(&version);
            state.aliases.retain(|_, v| *v != version);
            state.comments.remove(&version);
            let change = Change::DropVersion {
                version: version.clone(),
                removed_aliases,
            };
            Ok((state, change))
        })
        .await?;
        self.delete_version_files(&name, &version).await
    }

    /// Drops model `name`: every version, alias and the pointer history.
    pub async fn drop_model(&self, name: &str) -> Result<()> {
        let name = names::model_name(name)?;
        if self.view(&name).await?.is_none() {
            let error = self.unknown_model(&name).await;
            if self
                .latest_pointers(&name)
                .await?
                .is_some_and(|e| e.is_model_drop())
            {
                // An earlier drop was interrupted: finish it.
                self.delete_model_files(&name).await?;
            }
            return Err(error);
        }
        self.update_pointers(&name, |_| Ok((Default::default(), Change::DropModel)))
            .await?;
        self.delete_model_files(&name).await
    }

    /// Deletes a version's manifest, then the rest of its directory.
    async fn delete_version_files(&self, name: &str, version: &str) -> Result<()> {
        let store = &self.store;
        store
            .delete(&store.path(&layout::manifest_path(name, version)))
            .await?;
        store
            .delete_all(&store.path(&layout::version_dir(name, version)))
            .await
    }

    /// Deletes every file of model `name`: versions first, then the pointer log
    /// oldest entry first (so a drop tombstone is the last thing to go).
    pub(super) async fn delete_model_files(&self, name: &str) -> Result<()> {
        for version in self.version_dirs(name).await? {
            self.delete_version_files(name, &version).await?;
        }
        for (_, path) in self.pointer_files(name).await? {
            self.store.delete(&path).await?;
        }
        self.store
            .delete_all(&self.store.path(&layout::model_dir(name)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        backends, model, new_version, plan_message, publish_versions,
    };
    use super::*;
    use crate::registry::ModelRef;
    use crate::registry::pointers::PointerState;

    #[tokio::test]
    async fn dropping_versions_follows_the_rules() {
        for b in backends().await {
            let reg = &b.registry;
            publish_versions(reg, "m", &["v1", "v2", "v3"]).await;
            reg.set_alias("m", "v2", "prod").await.expect("alias");
            reg.set_alias("m", "v2", "canary").await.expect("alias");

            let err = reg.drop_version("m", "v1").await.unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' version 'v1' is the default version; \
                 make another version the default before dropping it"
            );
            let err = reg.drop_version("m", "v7").await.unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' has no version 'v7'; versions: v1, v2, v3"
            );

            reg.drop_version("m", "v2").await.expect("drops");
            let versions: Vec<_> = reg
                .list_versions("m")
                .await
                .expect("lists")
                .into_iter()
                .map(|m| m.version)
                .collect();
            assert_eq!(versions, ["v1", "v3"], "{}", b.label);
            let pointers = reg.pointers("m").await.expect("pointers");
            assert!(pointers.aliases.is_empty(), "{}: {pointers:?}", b.label);
            let last = reg
                .history("m")
                .await
                .expect("history")
                .pop()
                .expect("an entry");
            assert_eq!(
                last.change,
                Change::DropVersion {
                    version: "v2".into(),
                    removed_aliases: vec!["canary".into(), "prod".into()],
                }
            );
            let left = reg
                .store()
                .list(&reg.store().path("models/m/v2"))
                .await
                .expect("lists");
            assert!(left.is_empty(), "{}: {left:?}", b.label);

            // Move the default away, then the old default can go; the last version takes the model.
            reg.set_default("m", "v3").await.expect("default");
            reg.drop_version("m", "v1")
                .await
                .expect("drops the old default");
            reg.drop_version("m", "v3")
                .await
                .expect("drops the last version");
            assert!(
                reg.list_models().await.expect("lists").is_empty(),
                "{}",
                b.label
            );
            let files = reg
                .store()
                .list(&reg.store().path("models"))
                .await
                .expect("lists");
            assert!(files.is_empty(), "{}: {files:?}", b.label);
        }
    }

    #[tokio::test]
    async fn dropping_a_model_removes_everything_and_the_name_is_free_again() {
        for b in backends().await {
            let reg = &b.registry;
            publish_versions(reg, "m", &["v1", "v2"]).await;
            reg.publish(&model(1), new_version("other", "v1"))
                .await
                .expect("publishes");
            reg.set_alias("m", "v2", "prod").await.expect("alias");
            reg.drop_model("M").await.expect("drops");
            let names: Vec<_> = reg
                .list_models()
                .await
                .expect("lists")
                .into_iter()
                .map(|m| m.name)
                .collect();
            assert_eq!(names, ["other"], "{}", b.label);
            let files = reg
                .store()
                .list(&reg.store().path("models/m"))
                .await
                .expect("lists");
            assert!(files.is_empty(), "{}: {files:?}", b.label);
            let err = reg.drop_model("m").await.unwrap_err();
            assert_eq!(plan_message(err), "unknown model 'm'; models: other");

            reg.publish(&model(2), new_version("m", "v2"))
                .await
                .expect("a new life");
            let (manifest, loaded) = reg
                .load(&ModelRef::parse("m").expect("ref"))
                .await
                .expect("loads");
            assert_eq!(
                (manifest.version.as_str(), &loaded),
                ("v2", &model(2)),
                "{}",
                b.label
            );
            assert_eq!(reg.history("m").await.expect("history").len(), 1);
        }
    }

    #[tokio::test]
    async fn an_interrupted_model_drop_hides_the_model_and_is_finished_later() {
        for b in backends().await {
            let reg = &b.registry;
            reg.publish(&model(1), new_version("m", "v1"))
                .await
                .expect("publishes");
            // A crash right after the tombstone: every file is still there.
            reg.update_pointers("m", |_| Ok((PointerState::default(), Change::DropModel)))
                .await
                .expect("tombstone");
            assert!(
                reg.list_models().await.expect("lists").is_empty(),
                "{}",
                b.label
            );
            let err = reg
                .load(&ModelRef::parse("m@v1").expect("ref"))
                .await
                .unwrap_err();
            assert_eq!(plan_message(err), "unknown model 'm'; models: none");
            // Publishing again finishes the drop first: the old v1 does not block.
            reg.publish(&model(2), new_version("m", "v1"))
                .await
                .expect("publishes");
            let (_, loaded) = reg
                .load(&ModelRef::parse("m").expect("ref"))
                .await
                .expect("loads");
            assert_eq!(loaded, model(2), "{}", b.label);
            assert_eq!(reg.history("m").await.expect("history").len(), 1);
        }
    }
}
