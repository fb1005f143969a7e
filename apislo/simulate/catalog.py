"""What the simulated company runs: APIs, their routes and backends, consumers and their plans.

Static, documented data only; the generator (:mod:`apislo.simulate.traffic`) draws from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from apislo.errors import ConfigError

__all__ = [
    "APIS",
    "CONSUMER_NAMES",
    "HOST",
    "LOW_TRAFFIC_RPS",
    "PLANS",
    "ROUTES",
    "WEEKEND_LOAD",
    "ApiSpec",
    "Plan",
    "RouteSpec",
    "plan_of_rank",
    "simulated_apis",
]

#: The ``Host`` every simulated request is sent to.
HOST = "api.example.com"

#: Load of a weekend day as a share of a weekday's, by ``datetime.weekday()`` (Saturday = 5).
WEEKEND_LOAD: dict[int, float] = {5: 0.55, 6: 0.45}


@dataclass(frozen=True)
class ApiSpec:
    """One simulated API and its backend.

    Attributes:
        name: API name; also the first path segment after the version (``/v2/orders/...``).
        mean_rps: mean logged requests per second at ``rate=1`` (over a whole week).
        id_kind: how resource ids look in paths: ``"int"``, ``"uuid"`` or ``"hex"`` (24 digits).
        sub_resource: name of the nested collection (``/v2/orders/{id}/items``).
        peak_hour_utc: hour of the daily peak, UTC.
        instances: backend instances ``c`` of the M/M/c model.
        service_mean_s: mean backend service time ``E[S]``, seconds (lognormal).
        service_cv: coefficient of variation of the service time.
        peak_rho: backend utilisation at the normal weekday peak (sets the backend arrival rate).
    """

    name: str
    mean_rps: float
    id_kind: str
    sub_resource: str
    peak_hour_utc: float
    instances: int
    service_mean_s: float
    service_cv: float
    peak_rho: float


#: The APIs, in the order ``--apis N`` takes them. The last one taken is the low-traffic API.
APIS: tuple[ApiSpec, ...] = (
    ApiSpec("orders", 0.18, "int", "items", 14.0, 4, 0.060, 0.6, 0.55),
    ApiSpec("payments", 0.10, "uuid", "refunds", 15.0, 3, 0.090, 0.5, 0.45),
    ApiSpec("catalog", 0.24, "hex", "reviews", 13.0, 8, 0.040, 0.8, 0.45),
    ApiSpec("users", 0.08, "uuid", "sessions", 9.0, 2, 0.030, 0.6, 0.40),
    ApiSpec("search", 0.14, "int", "suggestions", 16.0, 6, 0.110, 0.7, 0.50),
    ApiSpec("shipping", 0.06, "hex", "events", 11.0, 2, 0.070, 0.5, 0.40),
    ApiSpec("inventory", 0.09, "int", "reservations", 12.0, 3, 0.050, 0.6, 0.50),
    ApiSpec("notifications", 0.07, "uuid", "deliveries", 10.0, 2, 0.045, 0.6, 0.40),
)

#: Mean logged requests per second of the low-traffic API at ``rate=1`` (~2,400 a week).
LOW_TRAFFIC_RPS = 0.004


def simulated_apis(count: int) -> list[ApiSpec]:
    """The first ``count`` APIs of :data:`APIS`, the last of them made the low-traffic API
    (``mean_rps`` = :data:`LOW_TRAFFIC_RPS`): what ``--apis COUNT`` simulates.

    Raises:
        ConfigError: ``count`` is not between 1 and ``len(APIS)``.
    """
    if not 1 <= count <= len(APIS):
        raise ConfigError(f"--apis must be between 1 and {len(APIS)}, got {count}")
    specs = list(APIS[:count])
    specs[-1] = replace(specs[-1], mean_rps=LOW_TRAFFIC_RPS)
    return specs


@dataclass(frozen=True)
class RouteSpec:
    """A route template of every API.

    Attributes:
        method: HTTP method.
        shape: ``"list"`` (``/{v}/{api}?page=N``), ``"collection"`` (``/{v}/{api}``), ``"item"``
            (``/{v}/{api}/{id}``) or ``"sub"`` (``/{v}/{api}/{id}/{sub}``).
        weight: share of the API's requests.
        service_factor: multiplies the API's mean service time.
        ok_status: the success status.
    """

    method: str
    shape: str
    weight: float
    service_factor: float
    ok_status: int


ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "list", 0.30, 1.6, 200),
    RouteSpec("GET", "item", 0.44, 1.0, 200),
    RouteSpec("POST", "collection", 0.10, 1.4, 201),
    RouteSpec("PUT", "item", 0.06, 1.2, 200),
    RouteSpec("DELETE", "item", 0.03, 0.8, 204),
    RouteSpec("GET", "sub", 0.07, 1.3, 200),
)


@dataclass(frozen=True)
class Plan:
    """A consumer plan: requests allowed per API per clock hour (``None`` = unlimited)."""

    name: str
    quota_per_hour: int | None


PLANS: dict[str, Plan] = {
    "enterprise": Plan("enterprise", None),
    "pro": Plan("pro", 5000),
    "basic": Plan("basic", 400),
    "free": Plan("free", 25),
}

_COMPANIES = (
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "oscorp",
    "vandelay",
    "gringotts",
    "monarch",
    "aperture",
    "duff",
    "nakatomi",
    "pied-piper",
    "massive-dynamic",
)
#: Consumer names, most active first (Zipf weights by rank).
CONSUMER_NAMES: tuple[str, ...] = tuple(
    f"{company}-{channel}" for channel in ("web", "mobile") for company in _COMPANIES
)


def plan_of_rank(rank: int) -> str:
    """Plan of the consumer with activity rank ``rank`` (0 = most active)."""
    if rank == 0:
        return "enterprise"
    if rank < 3:
        return "pro"
    if rank < 10:
        return "basic"
    return "free"
