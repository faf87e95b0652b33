"""The local Lambda runtime: worker processes under awslambdaric, one per warm environment."""
