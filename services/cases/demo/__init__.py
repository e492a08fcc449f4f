"""The demo city: 南昌市's three rural counties, about 300 villages and, by default,
10,000 left-behind children with a year of history, seeded once into an empty store by
`careledger demo`, with one user per role to log in with."""

from .places import place_name, village_name, villages
from .seed import SeedSummary, seed_demo
from .staff import DemoUser, login_users, print_demo_users

__all__ = [
    "DemoUser",
    "SeedSummary",
    "login_users",
    "place_name",
    "print_demo_users",
    "seed_demo",
    "village_name",
    "villages",
]
