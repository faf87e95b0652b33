"""Costs of moto 5.2, removed without changing an answer (a small, tested patch,
applied where the harness embeds moto). Four are paid on every call, the others
once per process or per service.

- ``Item.__init__`` fills ``LimitedSizeDict`` one attribute at a time, and each
  ``__setitem__`` re-measures every attribute already stored: O(n²) size
  computations per item, ~13 % of the stack process's CPU in a run of warm
  uploads. While an item is built the attribute names are distinct and sizes
  only add up: the patch keeps a running total, so it raises moto's own ``ItemSizeTooLarge``
  at the same attribute as the original (DynamoDB's limit is 400 KB per item,
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html;
  moto allows 405,000 bytes).
- ``ConditionExpressionParser`` lexes a condition, filter or key expression with a
  list of regular expressions tried at every character run, on every call: about
  half of parsing the writer's one-clause ``attribute_not_exists`` condition, itself
  a third of a served PutItem. The tokens depend only on the expression's text; the
  patch keeps them per text (bounded) and hands each parse fresh nodes.
- ``BaseResponse.call_action`` lists the response class's methods with
  ``inspect.getmembers`` on every request; the list depends only on the class.
- ``AccountSpecificBackend.get_session`` makes a botocore session of its own whose
  loader parses the full model of each service (up to ~1 MB of JSON) only to list
  the service's regions; the harness's clients parse the same files again. Given
  the harness's shared loader (``localenv.edge.operations.data_loader``), each file
  is parsed once per process. moto's own ``moto.core.loaders.Loader`` (its models
  carry moto's extras) is left alone, but ``moto.core.utils`` made a new one for each
  model it loads (a service model, a paginator model), and a new loader lists every
  service botocore ships (~400 directories, ~25 ms) before loading anything: one
  loader per process instead (its caches key on the service and model name, which
  moto's callers cache again, so each model is loaded once either way).
- ``moto.apigateway.models`` imports ``openapi_spec_validator`` (~0.12 s with
  compiled bytecode, most of it pydantic) for ``ImportRestApi``/``PutRestApi``
  with ``failonwarnings``; the patch imports it at that first use instead.
- Each ``CognitoIdpUserPool`` parses moto's one RSA signing key again (~0.1-0.4 s
  of prime recovery and OpenSSL key checks); the patch builds it once per process,
  without the checks (it is moto's own fixed test key), and finds its primes from
  ``e*d - 1 = k*phi(n)`` in microseconds (cryptography's general recovery took
  60-200 ms), falling back to cryptography's when that does not give them.
- Every KMS key, symmetric ones included, generates a 2048-bit RSA key pair when it
  is created (20-60 ms each), used only by ``Sign``, ``Verify`` and ``GetPublicKey``;
  the patch generates it at the first of those. A random key generated later is
  as random as one generated earlier, so no answer can tell.
- ``BatchWriteItem``'s duplicate check JSON-encodes every whole item of the batch;
  ``localenv.moto_batch_write`` compares them without encoding (and refuses one key
  written twice, as DynamoDB does).
- A JSON body is decoded by the edge and again by moto's request parser;
  ``localenv.moto_json_body`` lets the parser take the edge's document when its own
  decoding would give the same value.
- moto's REST routers (``moto.core.routing``) build a werkzeug ``Map`` of every
  operation of a service on its first request, and werkzeug compiles two URL
  builder functions per rule (``ast`` + ``compile``, ~5 % of a start's CPU). moto
  only matches requests against these maps, never builds a URL from them: the
  builders are compiled at their first use instead.

Written so each can be offered upstream as it stands.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import sys
import threading
import types
from collections import deque
from typing import Any

import boto3
from moto.core import base_backend, loaders, responses, routing
from moto.core import utils as moto_utils
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

from localenv import moto_batch_write, moto_json_body

# moto's bound, LimitedSizeDict.__setitem__.
ITEM_SIZE_BOUND = 405_000
ORIGINAL_ITEM_INIT = Item.__init__  # kept for the tests that compare both
ORIGINAL_LEX = ConditionExpressionParser._lex_condition_expression
# Distinct expression texts kept: an application sends a handful, a test suite a few hundred.
LEXED_EXPRESSIONS = 1024
_applied = False


def apply() -> None:
    """Patch moto once per process (idempotent)."""
    global _applied  # noqa: PLW0603 - one patch per process
    if _applied:
        return
    _applied = True
    Item.__init__ = item_init  # type: ignore[method-assign]
    ConditionExpressionParser._lex_condition_expression = lex_once  # type: ignore[method-assign]
    moto_utils.create_loader = functools.cache(loaders.create_loader)  # type: ignore[attr-defined]
    responses.method_names_from_class = functools.cache(  # type: ignore[attr-defined]
        responses.method_names_from_class  # type: ignore[attr-defined]
    )
    base_backend.AccountSpecificBackend.get_session = classmethod(  # type: ignore[method-assign,assignment]
        lambda _cls: shared_session()
    )
    import_apigateway_without_validator()
    from moto.cognitoidp import models as cognito  # noqa: PLC0415 - after the patches above

    cognito.jwk = types.SimpleNamespace(  # type: ignore[attr-defined,assignment]
        RSAKey=types.SimpleNamespace(import_key=rsa_key)
    )
    defer_kms_key_pairs()
    routing.SmithyRule._compile_builder = lazy_builder  # type: ignore[method-assign,assignment]
    moto_batch_write.apply()
    moto_json_body.apply()


def item_init(
    self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]
) -> None:
    """``Item.__init__`` with each attribute measured once: the same checks in the same
    order, each against the running total instead of a re-measured whole."""
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        converted = DynamoType(value)
        size += bytesize(key) + converted.size()
        if size > ITEM_SIZE_BOUND:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, converted)


@functools.lru_cache(maxsize=LEXED_EXPRESSIONS)
def lexed(expression: str) -> tuple[ConditionExpressionParser.Node, ...]:
    """moto's tokens for one expression text (an invalid one raises, and is not kept)."""
    return tuple(ORIGINAL_LEX(ConditionExpressionParser(expression, None, None)))


def lex_once(self: ConditionExpressionParser) -> deque[ConditionExpressionParser.Node]:
    """``_lex_condition_expression`` from the kept tokens: fresh nodes for every parse
    (a lexed node's ``children`` is an empty list the later passes may fill)."""
    return deque(node._replace(children=[]) for node in lexed(self.condition_expression or ""))


@functools.cache
def shared_session() -> boto3.Session:
    from localenv.edge.operations import new_botocore_session  # noqa: PLC0415 - no cycle at import

    return boto3.Session(botocore_session=new_botocore_session())


VALIDATOR_MODULES = (
    "openapi_spec_validator",
    "openapi_spec_validator.validation",
    "openapi_spec_validator.validation.exceptions",
)


class ValidatorNotLoadedError(Exception):
    """Stands for openapi_spec_validator's error until the validator is first used."""


def import_apigateway_without_validator() -> None:
    """Import moto's API Gateway models with stand-ins for ``openapi_spec_validator``.

    The models look ``validate`` and ``OpenAPIValidationError`` up as module globals
    when a call runs (``except OpenAPIValidationError`` is evaluated after ``validate``
    raised), so the first call to ``validate`` can put the real ones in place.
    """
    if "moto.apigateway.models" in sys.modules or VALIDATOR_MODULES[0] in sys.modules:
        return
    stand_in = types.ModuleType(VALIDATOR_MODULES[0])
    stand_in.validate = validate_on_first_use  # type: ignore[attr-defined]
    errors = types.ModuleType(VALIDATOR_MODULES[2])
    errors.OpenAPIValidationError = ValidatorNotLoadedError  # type: ignore[attr-defined]
    package = types.ModuleType(VALIDATOR_MODULES[1])
    sys.modules.update(zip(VALIDATOR_MODULES, (stand_in, package, errors), strict=True))
    try:
        import moto.apigateway.models  # noqa: F401, PLC0415 - imported under the stand-ins
    finally:
        for name in VALIDATOR_MODULES:
            sys.modules.pop(name, None)


def validate_on_first_use(document: Any) -> Any:
    from openapi_spec_validator import validate  # noqa: PLC0415 - the real one, now
    from openapi_spec_validator.validation.exceptions import (  # noqa: PLC0415
        OpenAPIValidationError,
    )

    models = sys.modules["moto.apigateway.models"]
    models.OpenAPIValidationError = OpenAPIValidationError  # type: ignore[attr-defined]
    models.validate = validate  # type: ignore[attr-defined]
    return validate(document)


@functools.cache
def _rsa_key(serialized: str) -> Any:
    """joserfc recovers the primes of a JWK without them (moto's has none), then has
    OpenSSL validate the key: ~0.1 s of checks for moto's own, fixed test key. The
    primes are recovered here and the key built without the checks."""
    from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: PLC0415 - moto's dependency
    from joserfc import jwk  # noqa: PLC0415 - moto's dependency

    data = json.loads(serialized)
    if data.get("kty") != "RSA" or "p" in data:
        return jwk.RSAKey.import_key(data)
    n, e, d = (integer(data[name]) for name in "ned")
    p, q = prime_factors(n, e, d) or rsa.rsa_recover_prime_factors(n, e, d)
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e, n),
    )
    return jwk.RSAKey(numbers.private_key(unsafe_skip_rsa_key_validation=True), data)


def rsa_key(data: dict[str, Any]) -> Any:
    """moto's signing key, parsed once per distinct key (moto ships one)."""
    return _rsa_key(json.dumps(data, sort_keys=True))


def integer(encoded: str) -> int:
    """A JWK's unsigned big-endian base64url integer (RFC 7518, section 2)."""
    return int.from_bytes(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def prime_factors(n: int, e: int, d: int) -> tuple[int, int] | None:
    """p > q of ``n`` when ``d`` is the inverse of ``e`` modulo phi(n) (moto's key; keys
    made with lambda(n) return None). ``e*d - 1 = k*phi(n)`` with phi(n) just under n,
    so k is ``(e*d - 1) // n`` or one more; then p + q = n - phi(n) + 1 and p*q = n."""
    product = e * d - 1
    estimate = product // n
    for k in (estimate, estimate + 1):
        if k < 1 or product % k:
            continue
        total = n - product // k + 1
        discriminant = total * total - 4 * n
        root = math.isqrt(discriminant) if discriminant >= 0 else -1
        if root >= 0 and root * root == discriminant:
            p, q = (total + root) // 2, (total - root) // 2
            if p * q == n and q > 1:
                return p, q
    return None


class DeferredRsaKey:
    """An RSA private key generated at its first use, once (moto's KMS key pair)."""

    def __init__(self, public_exponent: int, key_size: int, generate: Any):
        self.public_exponent, self.key_size = public_exponent, key_size
        self.generate = generate
        self.key: Any = None
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.generated(), name)

    def generated(self) -> Any:
        with self.lock:  # two first uses at once must not make two keys
            if self.key is None:
                self.key = self.generate(
                    public_exponent=self.public_exponent, key_size=self.key_size
                )
            return self.key


def defer_kms_key_pairs() -> None:
    """moto's KMS keys get their RSA key pair (``rsa.generate_private_key`` in
    ``moto.kms.utils``, its only use of the module) at the first Sign, Verify or
    GetPublicKey instead of at CreateKey."""
    from moto.kms import utils  # noqa: PLC0415 - after the other patches, as moto's models

    rsa = utils.rsa  # type: ignore[attr-defined]
    generate = rsa.generate_private_key

    def deferred(public_exponent: int, key_size: int, **_: Any) -> DeferredRsaKey:
        return DeferredRsaKey(public_exponent, key_size, generate)

    patched = types.SimpleNamespace(**{**vars(rsa), "generate_private_key": deferred})
    utils.rsa = patched  # type: ignore[attr-defined,assignment]


ORIGINAL_COMPILE_BUILDER = routing.SmithyRule._compile_builder


def lazy_builder(rule: routing.SmithyRule, append_unknown: bool = True) -> Any:
    """werkzeug's URL builder for ``rule``, compiled when it first builds a URL."""
    compiled: list[Any] = []

    def build(self: routing.SmithyRule, **values: Any) -> Any:
        if not compiled:
            compiled.append(ORIGINAL_COMPILE_BUILDER(rule, append_unknown))
        return compiled[0](self, **values)

    return build
