//! Moving a model's pointers: the default version, aliases and comments, and
//! reading their history. Each change is one entry of the pointer log.

use super::names::{self, NameKind};
use super::pointers::{Change, PointerEntry, PointerState, live};
use super::read::ModelView;
use super::{Registry, dropped_model, dropped_version, listing, plan_error};
use crate::error::Result;
use crate::error::{Error, ObjectKind};

impl Registry {
    /// Checks that `version` is a visible version of model `name`; returns the
    /// validated name and version and the model's view.
    async fn existing_version(
        &self,
        name: &str,
        version: &str,
    ) -> Result<(String, String, ModelView)> {
        let name = names::model_name(name)?;
        let version = names::version(version)?;
        let view = self.existing(&name).await?;
        if !view.has_version(&version) {
            return Err(view.no_version(&name, &version));
        }
        Ok((name, version, view))
    }

    /// Applies `change` to the live pointers of `name`, re-checking that the
    /// model and `version` still exist against the newest state.
    async fn change_pointers<F>(
        &self,
        name: &str,
        version: Option<&str>,
        mut change: F,
    ) -> Result<PointerEntry>
    where
        F: FnMut(&mut PointerState) -> Result<Change>,
    {
        self.update_pointers(name, |latest| {
            let mut state = match (latest, live(latest)) {
                (Some(_), None) => {
                    return Err(dropped_model(name));
                }
                (_, state) => state.cloned().unwrap_or_default(),
            };
            if let Some(version) = version
                && state.dropped_versions.contains(version)
            {
                return Err(dropped_version(name, version));
            }
            let change = change(&mut state)?;
            Ok((state, change))
        })
        .await
    }

    /// Makes `version` the default version of model `name`.
    pub async fn set_default(&self, name: &str, version: &str) -> Result<PointerEntry> {
        let (name, version, _) = self.existing_version(name, version).await?;
        self.change_pointers(&name, Some(&version), |state| {
            let previous = state.default.replace(version.clone());
            Ok(Change::SetDefault {
                version: version.clone(),
                previous,
            })
        })
        .await
    }

    /// Points alias `alias` of model `name` at `version`, moving it if it
    /// exists. An alias may not be named like a version of the model.
    pub async fn set_alias(&self, name: &str, version: &str, alias: &str) -> Result<PointerEntry> {
        let alias = names::validate(NameKind::Alias, alias)?;
        let (name, version, view) = self.existing_version(name, version).await?;
        if view.has_version(&alias) {
            return Err(plan_error(format!(
                "model '{name}' has a version '{alias}'; an alias may not be named like a version"
            )));
        }
        self.change_pointers(&name, Some(&version), |state| {
            let previous = state.aliases.insert(alias.clone(), version.clone());
            Ok(Change::SetAlias {
                alias: alias.clone(),
                version: version.clone(),
                previous,
            })
        })
        .await
    }

    /// Removes alias `alias` of model `name`.
    pub async fn remove_alias(&self, name: &str, alias: &str) -> Result<PointerEntry> {
        let name = names::model_name(name)?;
        let alias = names::validate(NameKind::Alias, alias)?;
        self.existing(&name).await?;
        self.change_pointers(&name, None, |state| match state.aliases.remove(&alias) {
            Some(version) => Ok(Change::RemoveAlias {
                alias: alias.clone(),
                version,
            }),
            None => Err(Error::not_found(
                ObjectKind::ModelAlias,
                format!("{name}@{alias}"),
                format!(
                    "model '{name}' has no alias '{alias}'; aliases: {}",
                    listing(state.aliases.keys())
                ),
            )),
        })
        .await
    }

    /// Sets the comment of `name@version` (an empty comment removes it).
    /// Manifests are immutable, so comments live in the pointer log and
    /// readers ([`Registry::describe`], [`Registry::list_versions`], …) merge them in.
    pub async fn set_comment(
        &self,
        name: &str,
        version: &str,
        comment: &str,
    ) -> Result<PointerEntry> {
        let (name, version, _) = self.existing_version(name, version).await?;
        self.change_pointers(&name, Some(&version), |state| {
            state.comments.insert(version.clone(), comment.to_string());
            Ok(Change::SetComment {
                version: version.clone(),
                comment: comment.to_string(),
            })
        })
        .await
    }

    /// Every change of model `name`'s pointers, oldest first (publications
    /// included), each with the complete state after it.
    pub async fn history(&self, name: &str) -> Result<Vec<PointerEntry>> {
        let name = names::model_name(name)?;
        self.existing(&name).await?;
        self.pointer_log(&name).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{
        backends, model, new_version, plan_message, publish_versions,
    };
    use super::*;
    use crate::registry::ModelRef;

    async fn resolved(registry: &Registry, reference: &str) -> String {
        let reference = ModelRef::parse(reference).expect("ref");
        registry.resolve(&reference).await.expect("resolves").1
    }

    #[tokio::test]
    async fn aliases_move_and_keep_their_history() {
        for b in backends().await {
            let reg = &b.registry;
            publish_versions(reg, "m", &["v1", "v2", "v3"]).await;
            reg.set_alias("m", "v1", "Prod").await.expect("alias");
            assert_eq!(resolved(reg, "m@prod").await, "v1", "{}", b.label);
            let moved = reg.set_alias("M", "V2", "prod").await.expect("moves");
            assert_eq!(
                moved.change,
                Change::SetAlias {
                    alias: "prod".into(),
                    version: "v2".into(),
                    previous: Some("v1".into()),
                }
            );
            assert_eq!(resolved(reg, "m@prod").await, "v2");
            reg.set_alias("m", "v3", "canary").await.expect("alias");

            let info = reg
                .describe(&ModelRef::parse("m@prod").expect("ref"))
                .await
                .expect("describes");
            assert_eq!(
                (info.manifest.version.as_str(), info.is_default),
                ("v2", false)
            );
            assert_eq!(info.aliases, vec!["prod".to_string()]);

            let err = reg.set_alias("m", "v1", "v3").await.unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' has a version 'v3'; an alias may not be named like a version"
            );
            let err = reg.set_alias("m", "v9", "x").await.unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' has no version 'v9'; versions: v1, v2, v3"
            );
            let err = reg.set_alias("nope", "v1", "x").await.unwrap_err();
            assert_eq!(plan_message(err), "unknown model 'nope'; models: m");

            reg.remove_alias("m", "canary").await.expect("removes");
            let err = reg.remove_alias("m", "canary").await.unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' has no alias 'canary'; aliases: prod"
            );
            let err = reg
                .resolve(&ModelRef::parse("m@canary").expect("ref"))
                .await
                .unwrap_err();
            assert_eq!(
                plan_message(err),
                "model 'm' has no version or alias 'canary'; versions: v1, v2, v3; aliases: prod"
            );

            let history = reg.history("m").await.expect("history");
            let ops: Vec<_> = history
                .iter()
                .map(|e| (e.sequence, e.change.clone()))
                .collect();
            assert_eq!(ops.len(), 7, "{}: {ops:?}", b.label);
            assert_eq!(
                ops[0].1,
                Change::Published {
                    version: "v1".into(),
                    became_default: true
                }
            );
            assert!(matches!(
                &ops[1].1,
                Change::Published {
                    became_default: false,
                    ..
                }
            ));
            assert_eq!(
                history[3].state.aliases.get("prod").map(String::as_str),
                Some("v1")
            );
            assert_eq!(
                history[4].state.aliases.get("prod").map(String::as_str),
                Some("v2")
            );
            assert_eq!(
                ops[6].1,
                Change::RemoveAlias {
                    alias: "canary".into(),
                    version: "v3".into()
                }
            );
            assert_eq!(
                ops.iter().map(|o| o.0).collect::<Vec<_>>(),
                (1..=7).collect::<Vec<_>>()
            );
            // Deterministic clock: one reading per publication and per pointer change.
            assert_eq!(history[0].changed_at, "2025-01-01T00:00:01.000Z");
        }
    }

    #[tokio::test]
    async fn default_and_comments_are_pointers() {
        for b in backends().await {
            let reg = &b.registry;
            reg.publish(&model(1), new_version("m", "v1"))
                .await
                .expect("v1");
            reg.publish(&model(2), new_version("m", "v2"))
                .await
                .expect("v2");
            assert_eq!(resolved(reg, "m").await, "v1");
            let entry = reg.set_default("m", "v2").await.expect("moves default");
            assert_eq!(
                entry.change,
                Change::SetDefault {
                    version: "v2".into(),
                    previous: Some("v1".into())
                }
            );
            assert_eq!(resolved(reg, "m").await, "v2", "{}", b.label);
            assert_eq!(
                reg.list_models().await.expect("lists")[0]
                    .default_version
                    .as_deref(),
                Some("v2")
            );

            reg.set_comment("m", "v1", "retired: leaks the label")
                .await
                .expect("comments");
            let info = reg
                .describe(&ModelRef::parse("m@v1").expect("ref"))
                .await
                .expect("describes");
            assert_eq!(
                info.manifest.comment.as_deref(),
                Some("retired: leaks the label")
            );
            assert!(!info.is_default);
            let versions = reg.list_versions("m").await.expect("lists");
            assert_eq!(
                versions[0].comment.as_deref(),
                Some("retired: leaks the label")
            );
            assert_eq!(versions[1].comment.as_deref(), Some("baseline"));
            // The manifest file itself is untouched.
            let stored = reg
                .store()
                .get(&reg.store().path("models/m/v1/manifest.json"))
                .await
                .expect("reads")
                .expect("exists");
            assert!(String::from_utf8_lossy(&stored).contains(r#""comment": "baseline""#));
            reg.set_comment("m", "v1", "").await.expect("clears");
            let info = reg
                .describe(&ModelRef::parse("m@v1").expect("ref"))
                .await
                .expect("describes");
            assert_eq!(info.manifest.comment, None, "{}", b.label);
        }
    }
}
