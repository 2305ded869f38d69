"""Fixtures for the legacy (REST/XML) client tests, and the boto 2 import shim.

boto 2.49.0 (2018) is the last boto 2 release. On Python 3.11 it imports and
works as it is, apart from a DeprecationWarning for `imp` (filtered in
pytest.ini); nothing in boto.mturk needs the old `collections` ABC aliases
(only boto.mws and boto.dynamodb do, which these tests never import).

Python 3.12 broke two things that boto imports at start-up, so on 3.12 and
later this file patches them before boto is first imported:
  * the `imp` module is gone. boto/plugin.py imports it, but uses it only to
    load plugins from a `plugin_directory` named in a boto config file, which
    these tests never set, so a stand-in that refuses to load anything does;
  * boto's vendored six 1.9.0 provides `six.moves` through an import hook
    that 3.12 no longer calls (it has no find_spec), so `boto.compat` fails
    with "No module named 'boto.vendored.six.moves'". We map
    `boto.vendored.six*` onto the real `six` package (requirements.txt
    installs it; python-dateutil, for boto3, needs it too).
Neither patch is applied on Python 3.11, the version this project's machines
and CI use.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import types

if importlib.util.find_spec("imp") is None:  # Python >= 3.12
    _imp = types.ModuleType("imp")

    def _no_boto_plugins(*_args, **_kwargs):
        raise ImportError("boto plugins are not supported by the test suite's `imp` stand-in")

    _imp.find_module = _no_boto_plugins
    _imp.load_module = _no_boto_plugins
    sys.modules["imp"] = _imp

if sys.version_info >= (3, 12):

    class _VendoredSixIsSix(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        prefix = "boto.vendored.six"

        def find_spec(self, fullname, path=None, target=None):
            if fullname == self.prefix or fullname.startswith(self.prefix + "."):
                return importlib.util.spec_from_loader(fullname, self)
            return None

        def create_module(self, spec):
            return importlib.import_module("six" + spec.name[len(self.prefix):])

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, _VendoredSixIsSix())


import pytest  # noqa: E402

from boto2_support import connect  # noqa: E402  (imports boto: must come after the shim)


@pytest.fixture
def mturk(endpoint, dev_credentials):
    return connect(endpoint, dev_credentials)


@pytest.fixture
def other_mturk(endpoint, other_credentials):
    return connect(endpoint, other_credentials)


@pytest.fixture
def hit_mturk(endpoint, hit_credentials):
    """The requester of the HIT tests, who pays for approvals and bonuses."""
    return connect(endpoint, hit_credentials)
