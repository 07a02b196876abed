import ipaddress

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

import demo_target
from statuspage.config.apply import apply_config
from statuspage.config.schema import validate
from statuspage.models import ApiToken
from statuspage.oncall import role_group


@pytest.fixture(autouse=True)
def _clean_cache():
    from statuspage.public import store

    cache.clear()
    store.forget()  # this process's memory of rendered pages goes with the cache
    yield
    cache.clear()
    store.forget()


# The demo's probe variables, as scripts/run.sh allows them; worker processes get the same
# list (tests.processes.process_env).
DEMO_PROBE_ENV = demo_target.PROBE_ENV.split(",")
# The test targets (demo target, echo servers) listen on loopback.
LOOPBACK_NETWORKS = [ipaddress.ip_network(net) for net in demo_target.LOOPBACK.split(",")]


@pytest.fixture(autouse=True)
def _demo_probe_env(settings):
    settings.PROBE_ENV_ALLOW = DEMO_PROBE_ENV


@pytest.fixture
def probes_reach_loopback(settings):
    """Probes may reach the tests' loopback targets (PROBE_ALLOWED_NETWORKS)."""
    settings.PROBE_ALLOWED_NETWORKS = LOOPBACK_NETWORKS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's million rounds cost ~0.4 s per user the tests create; they check who may
    sign in, not how strong the hash is."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves its language active in the thread (LocaleMiddleware never resets
    it); code called directly in the next test must not inherit a reader's language."""
    yield
    translation.deactivate()


@pytest.fixture
def page_config():
    """A small page: two groups, three components, an official channel."""
    return {
        "page": {
            "name": "Reserve+ status",
            "url": "https://status.example.org",
            "languages": ["uk", "en"],
            "notice": "Support is never provided through Telegram bots or channels.",
            "official_channels": [{"name": "Support line", "value": "1545", "url": "https://example.org/support"}],
        },
        "components": [
            {"key": "reserve-auth", "name": "Authorization", "group": "Reserve+"},
            {"key": "reserve-data", "name": "Registration data", "group": "Reserve+"},
            {"key": "oneid-signin", "name": "Sign-in", "group": "OneID"},
        ],
    }


@pytest.fixture
def page(db, page_config):
    config, errors = validate(page_config)
    assert errors == []
    apply_config(config)
    return config


def _user(username, oncall=True, role="admin", **extra):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)
    if oncall:
        user.groups.add(role_group(role))
    return user


@pytest.fixture
def oncall_user(db):
    return _user("alice", is_staff=True)


@pytest.fixture
def outsider(db):
    return _user("mallory", oncall=False)


def token_for(user) -> str:
    return ApiToken.issue(user)[1]


@pytest.fixture
def api(oncall_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(oncall_user)}")
    return client


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def outsider_api(outsider):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(outsider)}")
    return client


def pytest_report_header(config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return f"database: {db}; broker: {broker}; cache: {cache}"
