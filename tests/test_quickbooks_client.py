"""The pure parts of the QBO client: hosts per environment, Fault parsing, queries, encryption."""

import pytest

from webapp.quickbooks import oauth
from webapp.quickbooks.client import endpoints, parse_fault, quote
from webapp.quickbooks.errors import QboAuthError, QboFault, QboThrottled


def test_the_emulator_serves_intuits_paths_on_its_own_host():
    found = endpoints({"QBO_ENVIRONMENT": "emulator", "QBO_EMULATOR_URL": "http://127.0.0.1:5055/"})
    assert found.api_base == "http://127.0.0.1:5055"
    assert found.authorize_url == "http://127.0.0.1:5055/connect/oauth2"
    assert found.token_url == "http://127.0.0.1:5055/oauth2/v1/tokens/bearer"
    assert found.revoke_url == "http://127.0.0.1:5055/v2/oauth2/tokens/revoke"


@pytest.mark.parametrize(
    "environment, api",
    [
        ("sandbox", "https://sandbox-quickbooks.api.intuit.com"),
        ("production", "https://quickbooks.api.intuit.com"),
    ],
)
def test_sandbox_and_production_use_intuits_documented_hosts(environment, api):
    found = endpoints({"QBO_ENVIRONMENT": environment})
    assert found.api_base == api
    assert found.authorize_url == "https://appcenter.intuit.com/connect/oauth2"
    assert found.token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    assert found.revoke_url == "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"


def test_an_unknown_environment_is_a_configuration_error():
    with pytest.raises(ValueError, match="QBO_ENVIRONMENT"):
        endpoints({"QBO_ENVIRONMENT": "staging"})


def test_a_validation_fault_keeps_code_message_detail_and_element():
    fault = parse_fault(
        400,
        {
            "Fault": {
                "Error": [
                    {
                        "Message": "Duplicate Name Exists Error",
                        "Detail": "The name supplied already exists.",
                        "code": "6240",
                        "element": "DisplayName",
                    }
                ],
                "type": "ValidationFault",
            }
        },
    )
    assert type(fault) is QboFault
    assert (fault.code, fault.element) == ("6240", "DisplayName")
    assert fault.qbo_message == "Duplicate Name Exists Error: The name supplied already exists."


def test_both_casings_of_a_401_body_are_auth_errors():
    lower = {
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed",
                    "detail": "Token expired",
                    "code": "3200",
                }
            ],
            "type": "AUTHENTICATION",
        }
    }
    fault = parse_fault(401, lower)
    assert isinstance(fault, QboAuthError) and fault.code == "3200"
    assert "Token expired" in fault.qbo_message
    assert isinstance(parse_fault(401, None), QboAuthError)


def test_429_is_throttled_even_without_a_body():
    fault = parse_fault(429, None)
    assert isinstance(fault, QboThrottled) and fault.code == "3001"


def test_query_values_escape_apostrophes():
    assert quote("O'Brien & Co") == "'O\\'Brien & Co'"


def test_tokens_are_encrypted_with_a_key_derived_from_secret_key_when_none_is_set():
    config = {"SECRET_KEY": "s3cret", "TOKEN_ENCRYPTION_KEY": ""}
    blob = oauth.encrypt(config, "refresh-token-value")
    assert b"refresh-token-value" not in blob
    assert oauth.decrypt(config, blob) == "refresh-token-value"
    assert oauth.decrypt({"SECRET_KEY": "other", "TOKEN_ENCRYPTION_KEY": ""}, blob) is None


def test_an_explicit_encryption_key_is_used():
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    blob = oauth.encrypt({"SECRET_KEY": "a", "TOKEN_ENCRYPTION_KEY": key}, "t")
    assert Fernet(key).decrypt(blob) == b"t"
