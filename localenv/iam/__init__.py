"""IAM for the local stack: identity-based policies evaluated as IAM evaluates them."""
