//! Analytics workers (ONNX inference over media topics). Arrives with the live-interview issues.
