"""The pipeline's Lambda functions: processor, reader and authorizer."""
