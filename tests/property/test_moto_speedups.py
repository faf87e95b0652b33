"""The moto speed-ups change no answer: items are built (or refused) as moto builds them,
expressions are lexed as moto lexes them."""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.core import base_backend, responses
from moto.core.utils import method_names_from_class
from moto.dynamodb.comparisons import ConditionExpressionParser, get_filter_expression
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.responses import DynamoHandler

from localenv import moto_speedups
from localenv.edge import operations

moto_speedups.apply()

# Sizes around moto's 405,000-byte bound: a few large attributes cross it, small ones don't.
sizes = st.one_of(st.integers(0, 40), st.integers(60_000, 210_000))
scalars = st.one_of(
    sizes.map(lambda n: {"S": "é" * (n // 2) if n % 2 else "x" * n}),
    st.integers(-(10**30), 10**30).map(lambda n: {"N": str(n)}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3).map(lambda items: {"L": items}),
    st.dictionaries(st.text(min_size=1, max_size=5), scalars, max_size=3).map(lambda m: {"M": m}),
)
attribute_maps = st.dictionaries(st.text(min_size=1, max_size=300), values, max_size=6)


def build(init: Any, attrs: dict[str, Any]) -> Item | type[Exception]:
    item: Item = Item.__new__(Item)  # type: ignore[assignment]
    try:
        init(item, DynamoType({"S": "pk"}), None, attrs)
    except ItemSizeTooLarge:
        return ItemSizeTooLarge
    return item


@given(attribute_maps)
def test_items_are_built_or_refused_as_moto_does(attrs: dict[str, Any]) -> None:
    ours = build(moto_speedups.item_init, attrs)
    theirs = build(moto_speedups.ORIGINAL_ITEM_INIT, attrs)
    if isinstance(theirs, Item):
        assert isinstance(ours, Item)
        assert ours == theirs
        assert list(ours.attrs) == list(theirs.attrs)
        assert type(ours.attrs) is type(theirs.attrs)
    else:
        assert ours is theirs


def test_an_item_over_the_bound_is_refused_and_one_at_it_is_kept() -> None:
    name = "a"
    at_bound = {name: {"S": "x" * (moto_speedups.ITEM_SIZE_BOUND - len(name))}}
    assert isinstance(build(moto_speedups.item_init, at_bound), Item)
    over = {name: {"S": "x" * (moto_speedups.ITEM_SIZE_BOUND - len(name) + 1)}}
    assert build(moto_speedups.item_init, over) is ItemSizeTooLarge
    assert Item.__init__ is moto_speedups.item_init


@pytest.mark.parametrize("cls", [DynamoHandler, responses.BaseResponse])
def test_method_names_are_the_class_functions(cls: type) -> None:
    expected = [name for name, _ in inspect.getmembers(cls, predicate=inspect.isfunction)]
    cached = responses.method_names_from_class  # type: ignore[attr-defined]
    assert cached is not method_names_from_class
    assert cached(cls) == method_names_from_class(cls) == expected
    assert cached(cls) is cached(cls)


def test_moto_lists_regions_through_the_shared_loader() -> None:
    session = base_backend.AccountSpecificBackend.get_session()
    assert session is base_backend.AccountSpecificBackend.get_session()
    assert session._session.get_component("data_loader") is operations.data_loader()
    assert "us-east-1" in session.get_available_regions("dynamodb")


LAZY_VALIDATOR = """
import sys
from localenv import moto_speedups
moto_speedups.apply()
assert "openapi_spec_validator" not in sys.modules, "imported at start"
from moto.apigateway.exceptions import InvalidOpenAPIDocumentException
from moto.apigateway.models import apigateway_backends
backend = apigateway_backends["123456789012"]["us-east-1"]
info = {"openapi": "3.0.1", "info": {"title": "t", "description": "d", "version": "1"}}
try:
    backend.import_rest_api({**info, "paths": {"/x": {"get": "not an operation"}}}, True)
except InvalidOpenAPIDocumentException:
    pass
else:
    raise AssertionError("an invalid document was imported")
assert "openapi_spec_validator" in sys.modules
assert backend.import_rest_api({**info, "paths": {}}, True).name == "t"
"""


def test_openapi_documents_are_validated_on_first_use() -> None:
    # A process of its own: the validator must not be loaded before the first import.
    subprocess.run([sys.executable, "-c", LAZY_VALIDATOR], check=True, timeout=60)


def test_user_pools_sign_with_moto_s_one_key() -> None:
    from joserfc import jwk, jwt
    from moto.cognitoidp.models import CognitoIdpUserPool
    from moto.utilities.utils import load_resource

    first = CognitoIdpUserPool("123456789012", "us-east-1", "a", {})
    second = CognitoIdpUserPool("123456789012", "us-east-1", "b", {})
    assert first.json_web_key is second.json_web_key
    checked = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    assert first.json_web_key.as_dict(private=True) == checked.as_dict(private=True)
    token = jwt.encode({"alg": "RS256", "kid": "dummy"}, {"sub": "u"}, first.json_web_key)
    assert jwt.decode(token, checked).claims == {"sub": "u"}


# Condition expressions and fragments of them: valid ones lex, the rest fail as moto fails.
OPERANDS = ("#a", ":v", "pk", "a.b", "c[1]", "size", "attribute_not_exists")
SYNTAX = ("(", ")", ",", " ", "  ", "AND", "OR", "NOT", "=", "<>", "<=", ">", "BETWEEN", "IN")
expression_texts = st.lists(st.sampled_from((*OPERANDS, *SYNTAX, "$", "é")), max_size=12).map(
    "".join
)


def lexed_or_error(lex: Any, text: str) -> Any:
    try:
        return list(lex(ConditionExpressionParser(text, None, None)))
    except ValueError as exc:
        return str(exc)


@given(expression_texts)
def test_expressions_are_lexed_as_moto_lexes_them(text: str) -> None:
    patched = lexed_or_error(ConditionExpressionParser._lex_condition_expression, text)
    assert patched == lexed_or_error(moto_speedups.ORIGINAL_LEX, text)
    assert patched == lexed_or_error(ConditionExpressionParser._lex_condition_expression, text)


def test_each_parse_gets_nodes_of_its_own() -> None:
    first = ConditionExpressionParser("attribute_not_exists(pk)", None, None)
    second = ConditionExpressionParser("attribute_not_exists(pk)", None, None)
    nodes = first._lex_condition_expression()
    nodes[0].children.append("filled by a later pass")
    assert all(node.children == [] for node in second._lex_condition_expression())


@pytest.mark.parametrize(
    ("values", "expected"), [({":n": {"N": "2"}}, True), ({":n": {"N": "9"}}, False)]
)
def test_a_kept_expression_is_evaluated_with_each_calls_values(
    values: dict[str, Any], expected: bool
) -> None:
    item = Item(DynamoType({"S": "pk"}), None, {"pk": {"S": "pk"}, "b": {"S": "abc"}})
    condition = get_filter_expression("attribute_exists(pk) AND size(#b) > :n", {"#b": "b"}, values)
    assert condition.expr(item) is expected


def test_primes_of_moto_s_key_are_the_ones_cryptography_recovers() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from moto.utilities.utils import load_resource

    key = load_resource("cognitoidp/resources/jwks-private.json")
    n, e, d = (moto_speedups.integer(key[name]) for name in "ned")
    assert moto_speedups.prime_factors(n, e, d) == rsa.rsa_recover_prime_factors(n, e, d)


@given(st.sampled_from([65537, 3, 17]), st.integers(min_value=0, max_value=2**16))
def test_primes_are_found_exactly_or_not_at_all(e: int, seed: int) -> None:
    import random

    from cryptography.hazmat.primitives.asymmetric import rsa

    primes = rsa.generate_private_key(65537, 1024).private_numbers()
    p, q = sorted((primes.p, primes.q), reverse=True)
    phi, lam = (p - 1) * (q - 1), math.lcm(p - 1, q - 1)
    if math.gcd(e, phi) != 1:
        return
    n = p * q
    assert moto_speedups.prime_factors(n, e, pow(e, -1, phi)) == (p, q)
    found = moto_speedups.prime_factors(n, e, pow(e, -1, lam))
    assert found in (None, (p, q))
    assert moto_speedups.prime_factors(n, e, random.Random(seed).randrange(2, n)) in (None, (p, q))


def test_kms_keys_get_their_key_pair_at_first_use() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from moto.kms.models import kms_backends
    from moto.kms.utils import RSAPrivateKey

    moto_speedups.apply()
    backend = kms_backends["123456789012"]["us-east-1"]
    symmetric = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None)
    pair = symmetric.private_key
    assert isinstance(pair, RSAPrivateKey)
    assert isinstance(pair.private_key, moto_speedups.DeferredRsaKey)
    assert pair.private_key.key is None  # no key pair made at CreateKey
    signing = backend.create_key(None, "SIGN_VERIFY", "RSA_2048", "", None)
    _, signature, _ = backend.sign(signing.id, b"message", "RSASSA_PKCS1_V1_5_SHA_256")
    assert backend.verify(signing.id, b"message", signature, "RSASSA_PKCS1_V1_5_SHA_256")[1]
    _, public = backend.get_public_key(signing.id)
    loaded = serialization.load_der_public_key(public)
    assert isinstance(loaded, rsa.RSAPublicKey)
    loaded.verify(signature, b"message", padding.PKCS1v15(), hashes.SHA256())


def test_moto_loads_its_models_through_one_loader_with_its_extras() -> None:
    from moto.core import loaders
    from moto.core import utils as moto_utils

    moto_speedups.apply()
    create_loader = moto_utils.create_loader  # type: ignore[attr-defined]
    assert create_loader() is create_loader()
    fresh = loaders.Loader(extra_search_paths=[loaders.moto_root])
    for service in ("dynamodb", "lambda", "apigateway"):
        shared = create_loader().load_service_model(service, "service-2")
        assert shared == fresh.load_service_model(service, "service-2")


@given(
    st.sampled_from(["/restapis/{restapi_id}/resources/{resource_id}", "/v1/{Name+}", "/x/{a}/y"]),
    st.text(alphabet="abcXYZ019-_.~", min_size=1, max_size=8),
    st.text(alphabet="abcXYZ019-_.~/", min_size=1, max_size=8),
)
def test_moto_s_rules_match_and_build_as_werkzeug_compiles_them(
    template: str, first: str, last: str
) -> None:
    from moto.core.routing import SmithyRule, _create_map, to_werkzeug_rule_string
    from werkzeug.routing import Rule

    moto_speedups.apply()
    string = to_werkzeug_rule_string(template)
    lazy = _create_map([SmithyRule(string, [], ["GET"])]).bind("example.com")
    eager = _create_map([Rule(string, methods=["GET"], endpoint=None)]).bind("example.com")
    values = dict(zip(sorted(lazy.map._rules[0].arguments), [first, last], strict=False))
    path = eager.build(None, values, method="GET")
    assert lazy.build(None, values, method="GET") == path
    assert outcome(lambda: lazy.match(path, method="GET")) == outcome(
        lambda: eager.match(path, method="GET")
    )


def outcome(match: Any) -> Any:
    try:
        return match()[1]
    except Exception as exc:  # the same refusal both ways
        return type(exc)
