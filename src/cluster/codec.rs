//! How Firn's own execution plans travel to a cluster: a physical extension
//! codec that encodes the point-in-time join, the key check and the source
//! wrapper, and hands every other node to Ballista's codec (its shuffle
//! readers and writers) and through it to DataFusion's. The client, the
//! scheduler (which decodes a job and re-encodes its stages) and every
//! executor use it.
//!
//! Firn's nodes are written as a magic prefix and a protobuf message; the
//! prefix's first byte (`F`, field 8 with the invalid wire type 6) can never
//! start a message of Ballista's, so the two kinds cannot be confused. Nodes
//! with side effects (training, registry and table commits) have no encoding
//! on purpose: a plan holding one cannot be shipped (see `planner`).

use std::sync::Arc;

use ballista_core::serde::BallistaPhysicalExtensionCodec;
use datafusion::arrow::datatypes::Field;
use datafusion::common::{DataFusionError, Result, ScalarValue, internal_err};
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use datafusion_proto::protobuf;
use prost::Message;

use crate::catalog::source_context::SourceContextExec;
use crate::feature_store::key_check_exec::KeyCheckExec;
use crate::feature_store::training_set::merge_exec::{FeatureColumn, FeatureJoinExec, JoinSpec};

/// Marks Firn's nodes in an encoded plan (see the module docs).
const MAGIC: &[u8] = b"FIRN1";

/// Firn's physical extension codec (see the module docs).
#[derive(Debug, Default)]
pub struct FirnPhysicalCodec {
    ballista: BallistaPhysicalExtensionCodec,
}

#[derive(Clone, PartialEq, Message)]
struct FirnNode {
    #[prost(oneof = "Node", tags = "1, 2, 3")]
    node: Option<Node>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Node {
    #[prost(message, tag = "1")]
    FeatureJoin(Box<FeatureJoinNode>),
    #[prost(message, tag = "2")]
    KeyCheck(KeyCheckNode),
    #[prost(message, tag = "3")]
    SourceContext(SourceContextNode),
}

#[derive(Clone, PartialEq, Message)]
struct FeatureJoinNode {
    #[prost(string, tag = "1")]
    view: String,
    #[prost(uint64, repeated, tag = "2")]
    left_keys: Vec<u64>,
    #[prost(uint64, repeated, tag = "3")]
    right_keys: Vec<u64>,
    #[prost(uint64, optional, tag = "4")]
    left_time: Option<u64>,
    #[prost(uint64, optional, tag = "5")]
    right_time: Option<u64>,
    #[prost(int64, optional, tag = "6")]
    lookback_micros: Option<i64>,
    #[prost(message, repeated, tag = "7")]
    features: Vec<FeatureColumnNode>,
    #[prost(message, optional, tag = "8")]
    feature_time: Option<protobuf::Field>,
}

#[derive(Clone, PartialEq, Message)]
struct FeatureColumnNode {
    #[prost(uint64, tag = "1")]
    index: u64,
    #[prost(message, optional, tag = "2")]
    field: Option<protobuf::Field>,
    #[prost(message, optional, tag = "3")]
    fill: Option<protobuf::ScalarValue>,
}

#[derive(Clone, PartialEq, Message)]
struct KeyCheckNode {
    #[prost(string, tag = "1")]
    what: String,
    #[prost(string, repeated, tag = "2")]
    keys: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
struct SourceContextNode {
    #[prost(string, tag = "1")]
    context: String,
}

impl PhysicalExtensionCodec for FirnPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(firn) = buf.strip_prefix(MAGIC) else {
            return self.ballista.try_decode(buf, inputs, ctx, proto_converter);
        };
        let node = FirnNode::decode(firn)
            .map_err(|e| DataFusionError::Internal(format!("a Firn plan node is damaged: {e}")))?;
        match (node.node, inputs) {
            (Some(Node::FeatureJoin(join)), [left, right]) => Ok(Arc::new(
                FeatureJoinExec::try_new(Arc::clone(left), Arc::clone(right), decode_spec(*join)?)?,
            )),
            (Some(Node::KeyCheck(check)), [input]) => Ok(Arc::new(KeyCheckExec::new(
                Arc::clone(input),
                check.what,
                check.keys,
            ))),
            (Some(Node::SourceContext(source)), [input]) => Ok(Arc::new(SourceContextExec::new(
                Arc::clone(input),
                source.context,
            ))),
            (node, inputs) => internal_err!(
                "a Firn plan node ({}) arrived with {} inputs",
                node.map_or("empty", |n| n.name()),
                inputs.len()
            ),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let firn = if let Some(join) = node.downcast_ref::<FeatureJoinExec>() {
            Node::FeatureJoin(Box::new(encode_spec(join.spec())?))
        } else if let Some(check) = node.downcast_ref::<KeyCheckExec>() {
            Node::KeyCheck(KeyCheckNode {
                what: check.what().to_string(),
                keys: check.keys().to_vec(),
            })
        } else if let Some(source) = node.downcast_ref::<SourceContextExec>() {
            Node::SourceContext(SourceContextNode {
                context: source.context().to_string(),
            })
        } else {
            return self.ballista.try_encode(node, buf, proto_converter);
        };
        buf.extend_from_slice(MAGIC);
        FirnNode { node: Some(firn) }
            .encode(buf)
            .map_err(|e| DataFusionError::Internal(format!("cannot encode a Firn plan node: {e}")))
    }
}

impl Node {
    fn name(&self) -> &'static str {
        match self {
            Node::FeatureJoin(_) => "FeatureJoinExec",
            Node::KeyCheck(_) => "KeyCheckExec",
            Node::SourceContext(_) => "SourceContextExec",
        }
    }
}

fn encode_field(field: &Field) -> Result<protobuf::Field> {
    protobuf::Field::try_from(field).map_err(|e| {
        DataFusionError::Internal(format!("cannot encode field '{}': {e}", field.name()))
    })
}

fn decode_field(field: Option<&protobuf::Field>) -> Result<Field> {
    let Some(field) = field else {
        return internal_err!("a Firn plan node is missing a field");
    };
    Field::try_from(field).map_err(|e| {
        DataFusionError::Internal(format!("cannot decode field '{}': {e}", field.name))
    })
}

fn index(value: u64) -> Result<usize> {
    usize::try_from(value)
        .map_err(|_| DataFusionError::Internal(format!("column index {value} is out of range")))
}

fn encode_spec(spec: &JoinSpec) -> Result<FeatureJoinNode> {
    let features = spec
        .features
        .iter()
        .map(|column| {
            Ok(FeatureColumnNode {
                index: column.index as u64,
                field: Some(encode_field(&column.field)?),
                fill: column
                    .fill
                    .as_ref()
                    .map(|fill| {
                        protobuf::ScalarValue::try_from(fill).map_err(|e| {
                            DataFusionError::Internal(format!("cannot encode a fill value: {e}"))
                        })
                    })
                    .transpose()?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(FeatureJoinNode {
        view: spec.view.clone(),
        left_keys: spec.left_keys.iter().map(|&i| i as u64).collect(),
        right_keys: spec.right_keys.iter().map(|&i| i as u64).collect(),
        left_time: spec.left_time.map(|i| i as u64),
        right_time: spec.right_time.map(|i| i as u64),
        lookback_micros: spec.lookback_micros,
        features,
        feature_time: spec.feature_time.as_ref().map(encode_field).transpose()?,
    })
}

fn decode_spec(node: FeatureJoinNode) -> Result<JoinSpec> {
    let features = node
        .features
        .iter()
        .map(|column| {
            Ok(FeatureColumn {
                index: index(column.index)?,
                field: decode_field(column.field.as_ref())?,
                fill: column
                    .fill
                    .as_ref()
                    .map(|fill| {
                        ScalarValue::try_from(fill).map_err(|e| {
                            DataFusionError::Internal(format!("cannot decode a fill value: {e}"))
                        })
                    })
                    .transpose()?,
            })
        })
        .collect::<Result<_>>()?;
    Ok(JoinSpec {
        view: node.view,
        left_keys: node
            .left_keys
            .into_iter()
            .map(index)
            .collect::<Result<_>>()?,
        right_keys: node
            .right_keys
            .into_iter()
            .map(index)
            .collect::<Result<_>>()?,
        left_time: node.left_time.map(index).transpose()?,
        right_time: node.right_time.map(index).transpose()?,
        lookback_micros: node.lookback_micros,
        features,
        feature_time: node
            .feature_time
            .as_ref()
            .map(|f| decode_field(Some(f)))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::{DataType, Schema, TimeUnit};
    use datafusion::physical_plan::displayable;
    use datafusion::physical_plan::empty::EmptyExec;
    use datafusion::prelude::SessionContext;
    use datafusion_proto::physical_plan::AsExecutionPlan;
    use datafusion_proto::protobuf::PhysicalPlanNode;

    use super::*;

    fn round_trip(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        let codec = FirnPhysicalCodec::default();
        let proto =
            PhysicalPlanNode::try_from_physical_plan(Arc::clone(&plan), &codec).expect("encodes");
        let ctx = SessionContext::new().task_ctx();
        proto.try_into_physical_plan(&ctx, &codec).expect("decodes")
    }

    fn shown(plan: &Arc<dyn ExecutionPlan>) -> String {
        displayable(plan.as_ref()).indent(true).to_string()
    }

    #[test]
    fn firn_nodes_survive_the_trip_to_an_executor() {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        let spine = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("as_of", time.clone(), true),
        ]));
        let view = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("at", time.clone(), true),
            Field::new("spend", DataType::Float64, true),
        ]));
        let spec = JoinSpec {
            view: "spend:v2".into(),
            left_keys: vec![0],
            right_keys: vec![0],
            left_time: Some(1),
            right_time: Some(1),
            lookback_micros: Some(86_400_000_000),
            features: vec![FeatureColumn {
                index: 2,
                field: Field::new("spend", DataType::Float64, true),
                fill: Some(ScalarValue::Float64(Some(0.0))),
            }],
            feature_time: Some(Field::new("spend_at", time, true)),
        };
        let join: Arc<dyn ExecutionPlan> = Arc::new(
            FeatureJoinExec::try_new(
                Arc::new(EmptyExec::new(spine)),
                Arc::new(EmptyExec::new(Arc::clone(&view))),
                spec,
            )
            .expect("join"),
        );
        let decoded = round_trip(Arc::clone(&join));
        assert_eq!(shown(&decoded), shown(&join));
        let spec = decoded
            .downcast_ref::<FeatureJoinExec>()
            .expect("a FeatureJoinExec")
            .spec();
        assert_eq!(spec.lookback_micros, Some(86_400_000_000));
        assert_eq!(spec.features[0].fill, Some(ScalarValue::Float64(Some(0.0))));
        assert_eq!(decoded.schema(), join.schema());

        let check: Arc<dyn ExecutionPlan> = Arc::new(KeyCheckExec::new(
            Arc::new(EmptyExec::new(Arc::clone(&view))),
            "feature view 'spend:v2'".into(),
            vec!["id".into()],
        ));
        let source: Arc<dyn ExecutionPlan> = Arc::new(SourceContextExec::new(
            check,
            "reading CSV 'orders.csv'".into(),
        ));
        let decoded = round_trip(Arc::clone(&source));
        assert_eq!(shown(&decoded), shown(&source));
        let check = &decoded.children()[0];
        let check = check
            .downcast_ref::<KeyCheckExec>()
            .expect("a KeyCheckExec");
        assert_eq!(check.what(), "feature view 'spend:v2'");
    }

    #[test]
    fn damaged_firn_nodes_are_errors() {
        let codec = FirnPhysicalCodec::default();
        let ctx = SessionContext::new().task_ctx();
        let converter = datafusion_proto::physical_plan::DefaultPhysicalProtoConverter {};
        let mut damaged = MAGIC.to_vec();
        damaged.extend_from_slice(&[0x0a, 0xff, 0x01]);
        let error = codec
            .try_decode(&damaged, &[], &ctx, &converter)
            .expect_err("damaged bytes are refused");
        assert!(
            error.to_string().contains("a Firn plan node is damaged"),
            "{error}"
        );
        let mut empty = MAGIC.to_vec();
        empty.extend(FirnNode { node: None }.encode_to_vec());
        let error = codec
            .try_decode(&empty, &[], &ctx, &converter)
            .expect_err("an empty node is refused");
        assert!(
            error.to_string().contains("arrived with 0 inputs"),
            "{error}"
        );
    }
}
