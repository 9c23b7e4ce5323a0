//! Reading the registry: models, versions, and resolving a reference to a
//! version and its model.

use chrono::DateTime;
use firnml_udfs::model::TreeEnsemble;

use super::manifest::{self, FeatureSignature, Manifest};
use super::names::{self, ModelRef, NameKind};
use super::pointers::{PointerState, live};
use super::{Registry, corrupt, layout, listing};
use crate::error::{Error, ObjectKind, Result};
use crate::ml::model_file;

/// One model of the registry, as `SHOW MODELS` would list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSummary {
    /// The model's name.
    pub name: String,
    /// Its default version, if it has one.
    pub default_version: Option<String>,
    /// How many versions it has.
    pub versions: usize,
    /// When its newest version was published (RFC 3339).
    pub latest_created_at: String,
    /// What is damaged in it (its pointer log, a version's manifest), if anything:
    /// a damaged model is listed with this instead of hiding the others.
    pub problem: Option<String>,
}

/// One version with its place among the model's pointers.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    /// The manifest, with the version's current comment.
    pub manifest: Manifest,
    /// Whether it is the model's default version.
    pub is_default: bool,
    /// The aliases pointing at it, sorted.
    pub aliases: Vec<String>,
}

/// What a reader sees of one model: pointers and visible versions.
pub(super) struct ModelView {
    pub(super) state: PointerState,
    /// Visible versions, ordered by `created_at` then version, comments merged.
    pub(super) versions: Vec<Manifest>,
    /// Versions whose manifest could not be read, with why (left out of `versions`).
    pub(super) damaged: Vec<(String, String)>,
}

impl ModelView {
    pub(super) fn has_version(&self, version: &str) -> bool {
        self.versions.iter().any(|m| m.version == version)
    }

    pub(super) fn version_names(&self) -> Vec<&str> {
        self.versions.iter().map(|m| m.version.as_str()).collect()
    }

    /// The error for a version this model does not have.
    pub(super) fn no_version(&self, name: &str, version: &str) -> Error {
        Error::not_found(
            ObjectKind::ModelVersion,
            format!("{name}@{version}"),
            format!(
                "model '{name}' has no version '{version}'; versions: {}",
                listing(self.version_names())
            ),
        )
    }
}

/// `manifest` with the comment the pointer log currently gives it.
fn with_current_comment(mut manifest: Manifest, state: &PointerState) -> Manifest {
    if let Some(comment) = state.comments.get(&manifest.version) {
        manifest.comment = Some(comment.clone()).filter(|c| !c.is_empty());
    }
    manifest
}

fn created(manifest: &Manifest) -> Option<DateTime<chrono::FixedOffset>> {
    DateTime::parse_from_rfc3339(&manifest.created_at).ok()
}

impl Registry {
    /// The version directories of model `name` (visible or not).
    pub(super) async fn version_dirs(&self, name: &str) -> Result<Vec<String>> {
        let dirs = self
            .store
            .list_dirs(&self.store.path(&layout::model_dir(name)))
            .await?;
        Ok(dirs
            .into_iter()
            .filter(|d| names::version(d).is_ok_and(|v| &v == d))
            .collect())
    }

    /// The manifest of `name@version` as stored, or `None` when there is none.
    async fn read_manifest(&self, name: &str, version: &str) -> Result<Option<Manifest>> {
        let path = layout::manifest_path(name, version);
        match self.store.get(&self.store.path(&path)).await? {
            Some(bytes) => Ok(Some(manifest::decode(&bytes, &path, name, version)?)),
            None => Ok(None),
        }
    }

    /// The manifest of a visible version (comment merged), or `None`.
    async fn visible_manifest(
        &self,
        name: &str,
        version: &str,
        state: &PointerState,
    ) -> Result<Option<Manifest>> {
        if state.dropped_versions.contains(version) {
            return Ok(None);
        }
        Ok(self
            .read_manifest(name, version)
            .await?
            .map(|m| with_current_comment(m, state)))
    }

    /// Model `name` as readers see it, or `None` when it does not exist (never
    /// published, dropped, or only unfinished publications).
    pub(super) async fn view(&self, name: &str) -> Result<Option<ModelView>> {
        let latest = self.latest_pointers(name).await?;
        if latest.as_ref().is_some_and(|e| e.is_model_drop()) {
            return Ok(None);
        }
        let state = latest.map(|e| e.state).unwrap_or_default();
        let mut versions = Vec::new();
        let mut damaged = Vec::new();
        for version in self.version_dirs(name).await? {
            // One damaged manifest leaves the model's other versions usable.
            match self.visible_manifest(name, &version, &state).await {
                Ok(Some(m)) => versions.push(m),
                Ok(None) => {}
                Err(e) => damaged.push((version, e.to_string())),
            }
        }
        if versions.is_empty() && damaged.is_empty() {
            return Ok(None);
        }
        versions.sort_by(|a, b| (created(a), &a.version).cmp(&(created(b), &b.version)));
        let mut state = state;
        if state.default.is_none() {
            // A model's first publication makes it the default in a second step
            // (the pointer log); a crash between the two leaves no default.
            // The oldest version is what that step would have written.
            state.default = versions.first().map(|m| m.version.clone());
        }
        Ok(Some(ModelView {
            state,
            versions,
            damaged,
        }))
    }

    /// Model `name` as readers see it, or an "unknown model" planning error.
    pub(super) async fn existing(&self, name: &str) -> Result<ModelView> {
        match self.view(name).await? {
            Some(view) => Ok(view),
            None => Err(self.unknown_model(name).await),
        }
    }

    /// The error for a model that does not exist, listing those that do.
    pub(super) async fn unknown_model(&self, name: &str) -> Error {
        let message = match self.list_models().await {
            Ok(models) => format!(
                "unknown model '{name}'; models: {}",
                listing(models.iter().map(|m| &m.name))
            ),
            Err(_) => format!("unknown model '{name}'"),
        };
        Error::not_found(ObjectKind::Model, name, message)
    }

    /// The runs to log with `name@version`, as written before its manifest, if any.
    pub async fn pending_run(&self, name: &str, version: &str) -> Result<Option<String>> {
        let path = layout::pending_run_path(name, version);
        match self.store.get(&self.store.path(&path)).await? {
            Some(bytes) => String::from_utf8(bytes.to_vec())
                .map(Some)
                .map_err(|_| corrupt(&path, "not UTF-8 text")),
            None => Ok(None),
        }
    }

    /// The versions whose runs are stored beside them (`run.json`) and not yet
    /// known to be logged, as (model, version), sorted: one listing of
    /// `models/`, no manifest read. A version's file is forgotten once its runs
    /// are logged ([`Registry::forget_pending_run`]), so a database opens
    /// without reading every manifest.
    pub async fn versions_with_pending_runs(&self) -> Result<Vec<(String, String)>> {
        let root = self.store.path(layout::MODELS_DIR);
        let mut pending: Vec<(String, String)> = self
            .store
            .list(&root)
            .await?
            .iter()
            .filter_map(|meta| {
                let mut parts = meta.location.prefix_match(&root)?;
                let (model, version, file) = (parts.next()?, parts.next()?, parts.next()?);
                let is_run_file = parts.next().is_none()
                    && file.as_ref() == layout::PENDING_RUN_FILE
                    && names::model_name(model.as_ref()).ok().as_deref() == Some(model.as_ref());
                is_run_file.then(|| (model.as_ref().to_string(), version.as_ref().to_string()))
            })
            .collect();
        pending.sort();
        Ok(pending)
    }

    /// Every model, sorted by name.
    pub async fn list_models(&self) -> Result<Vec<ModelSummary>> {
        let mut models = Vec::new();
        let dirs = self
            .store
            .list_dirs(&self.store.path(layout::MODELS_DIR))
            .await?;
        for name in dirs {
            if names::model_name(&name).ok().as_ref() != Some(&name) {
                continue; // not a directory the registry wrote
            }
            // A damaged model is listed as such; it never hides the others.
            let view = match self.view(&name).await {
                Ok(Some(view)) => view,
                Ok(None) => continue,
                Err(e) => {
                    models.push(ModelSummary {
                        name,
                        default_version: None,
                        versions: 0,
                        latest_created_at: String::new(),
                        problem: Some(e.to_string()),
                    });
                    continue;
                }
            };
            let latest = view.versions.iter().max_by_key(|m| created(m));
            let problem = (!view.damaged.is_empty()).then(|| {
                view.damaged
                    .iter()
                    .map(|(version, why)| format!("version '{version}' is damaged: {why}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            models.push(ModelSummary {
                default_version: view.state.default.clone(),
                versions: view.versions.len(),
                latest_created_at: latest.map(|m| m.created_at.clone()).unwrap_or_default(),
                problem,
                name,
            });
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }

    /// The versions of model `name`, ordered by `created_at` then version, each
    /// with its current comment.
    pub async fn list_versions(&self, name: &str) -> Result<Vec<Manifest>> {
        let name = names::model_name(name)?;
        Ok(self.existing(&name).await?.versions)
    }

    /// The current pointers (default version, aliases, comments) of model `name`.
    pub async fn pointers(&self, name: &str) -> Result<PointerState> {
        let name = names::model_name(name)?;
        Ok(self.existing(&name).await?.state)
    }

    /// The version `reference` names: its manifest (with its current comment)
    /// and version. Without a version or alias it is the default version; a
    /// version of the given name wins over an alias. An unknown model, version
    /// or alias is a planning error listing what exists.
    pub async fn resolve(&self, reference: &ModelRef) -> Result<(Manifest, String)> {
        let (manifest, _) = self.resolve_with_pointers(reference).await?;
        let version = manifest.version.clone();
        Ok((manifest, version))
    }

    /// The version `reference` names, with whether it is the default and its aliases.
    pub async fn describe(&self, reference: &ModelRef) -> Result<VersionInfo> {
        let (manifest, state) = self.resolve_with_pointers(reference).await?;
        Ok(VersionInfo {
            is_default: state.default.as_deref() == Some(manifest.version.as_str()),
            aliases: state.aliases_of(&manifest.version),
            manifest,
        })
    }

    async fn resolve_with_pointers(
        &self,
        reference: &ModelRef,
    ) -> Result<(Manifest, PointerState)> {
        let name = names::model_name(&reference.name)?;
        let latest = self.latest_pointers(&name).await?;
        if latest.as_ref().is_some_and(|e| e.is_model_drop()) {
            return Err(self.unknown_model(&name).await);
        }
        let state = live(latest.as_ref()).cloned().unwrap_or_default();
        let target = match &reference.target {
            Some(t) => Some(names::validate(NameKind::VersionOrAlias, t)?),
            None => None,
        };
        let version = match &target {
            None => match &state.default {
                Some(default) => Some(default.clone()),
                // No default recorded (see `view`): the one a reader derives.
                None => self.view(&name).await?.and_then(|view| view.state.default),
            },
            Some(t) => match self.visible_manifest(&name, t, &state).await? {
                Some(manifest) => return Ok((manifest, state)),
                None => state.aliases.get(t).cloned(),
            },
        };
        if let Some(version) = &version
            && let Some(manifest) = self.visible_manifest(&name, version, &state).await?
        {
            return Ok((manifest, state));
        }
        // Explain what went wrong, listing what exists.
        let view = self.existing(&name).await?;
        let versions = listing(view.version_names());
        let (kind, what, message) = match (target, version) {
            (None, None) => (
                ObjectKind::ModelVersion,
                name.to_string(),
                format!("model '{name}' has no default version; versions: {versions}"),
            ),
            (None, Some(v)) => (
                ObjectKind::ModelVersion,
                format!("{name}@{v}"),
                format!(
                    "model '{name}': its default version '{v}' does not exist; versions: {versions}"
                ),
            ),
            (Some(t), Some(v)) => (
                ObjectKind::ModelVersion,
                format!("{name}@{v}"),
                format!(
                    "model '{name}': alias '{t}' points at version '{v}', which does not exist; \
                     versions: {versions}"
                ),
            ),
            (Some(t), None) => (
                ObjectKind::ModelVersion,
                format!("{name}@{t}"),
                format!(
                    "model '{name}' has no version or alias '{t}'; versions: {versions}; aliases: {}",
                    listing(view.state.aliases.keys())
                ),
            ),
        };
        Err(Error::not_found(kind, what, message))
    }

    /// The version `reference` names and its model. A damaged manifest or model
    /// file is an error naming the file.
    pub async fn load(&self, reference: &ModelRef) -> Result<(Manifest, TreeEnsemble)> {
        let (manifest, _) = self.resolve_with_pointers(reference).await?;
        let path = layout::model_file_path(&manifest.name, &manifest.version, &manifest.model_file);
        let Some(bytes) = self.store.get(&self.store.path(&path)).await? else {
            return Err(corrupt(
                &path,
                "the model file named by the manifest is missing",
            ));
        };
        let model = model_file::from_parquet(bytes)
            .map_err(|e| corrupt(&path, format!("not a valid model file: {e}")))?;
        if model.objective().name() != manifest.objective
            || FeatureSignature::of_model(&model) != manifest.signature
        {
            return Err(corrupt(
                &path,
                "the model's objective or features differ from its manifest",
            ));
        }
        Ok((manifest, model))
    }
}
