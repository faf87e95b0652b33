"""The local API Gateway (REST) data plane, built from the deployed API's configuration."""
