"""AWS Secrets Manager and SSM Parameter Store secret references, over aiobotocore."""

from periscope_adapters.aws_secrets.resolvers import ParameterStoreResolver, SecretsManagerResolver

__all__ = ["ParameterStoreResolver", "SecretsManagerResolver"]
