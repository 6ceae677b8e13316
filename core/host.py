"""The plugin host: a pluggy manager that loads plugins from the ``tokenplan`` entry-point group.

Switches (the same names as pytest's and conda's):
- ``disable`` (``--disable-plugin NAME``, ``[plugins] disable``): do not load that plugin; an unknown name
  is an error.
- ``TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD=1``: load only the built-in plugins (entry points of the ``tokenplan``
  distribution itself) and plugins passed explicitly; third-party entry points are skipped.
- ``TOKENPLAN_TRACE_PLUGINS=1``: print every hook call (pluggy's tracing) to stderr.

Hooks are called through :meth:`PluginHost.call` / :meth:`PluginHost.call_first`, which call each
implementation in pluggy's order and wrap any exception in a one-line :class:`PluginError` naming the plugin
and its distribution (:meth:`PluginHost.error`), with the way past it (``--disable-plugin NAME``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from tokenplan import hookspecs
from tokenplan.errors import InputError, PluginError
from tokenplan.messages import describe

GROUP = hookspecs.PROJECT
BUILTIN_DISTRIBUTION = "tokenplan"
AUTOLOAD_ENV = "TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD"
TRACE_ENV = "TOKENPLAN_TRACE_PLUGINS"


@dataclass
class PluginInfo:
    """What ``tokenplan plugins`` lists about one plugin."""

    name: str
    distribution: str | None
    version: str | None
    module: str
    status: str  # "enabled", "disabled", "skipped (autoload off)"
    builtin: bool
    hooks: list[str] = field(default_factory=list)


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


class PluginHost:
    """Load and call plugins.

    :param disable: plugin names not to load.
    :param autoload: load third-party entry points; default: unless ``TOKENPLAN_DISABLE_PLUGIN_AUTOLOAD``.
    :param plugins: extra ``(name, plugin)`` pairs to register (tests, ``--plugins-dir``).
    :param entry_points: use these entry points instead of the installed ones (tests).
    """

    def __init__(self, disable: Iterable[str] = (), *, autoload: bool | None = None,
                 plugins: Iterable[tuple[str, object]] = (),
                 entry_points: Iterable[metadata.EntryPoint] | None = None) -> None:
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.autoload = (not _env_true(AUTOLOAD_ENV)) if autoload is None else autoload
        self.infos: dict[str, PluginInfo] = {}
        disable = list(dict.fromkeys(disable))
        eps = list(entry_points) if entry_points is not None else list(metadata.entry_points(group=GROUP))
        eps.sort(key=lambda ep: (_dist_name(ep) != BUILTIN_DISTRIBUTION, ep.name))
        extra = list(plugins)
        known = {ep.name for ep in eps} | {name for name, _ in extra}
        for name in disable:
            if name not in known:
                raise InputError(f"unknown plugin (installed: {', '.join(sorted(known)) or 'none'})",
                                 key="plugins.disable", value=name)
            self.pm.set_blocked(name)
        for ep in eps:
            self._load_entry_point(ep, disabled=ep.name in disable)
        for name, plugin in extra:
            builtin = False
            if name in disable:
                self.infos[name] = PluginInfo(name, None, None, _module_name(plugin), "disabled", builtin)
                continue
            self._register(name, plugin, PluginInfo(name, None, None, _module_name(plugin), "enabled", builtin))
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.pm.get_name(exc.plugin) or _module_name(exc.plugin)
            hook = str(exc).split("'")[1] if "'" in str(exc) else "?"
            raise self.error(name, f"implements unknown hook {hook!r} (see docs/plugins/hooks.md)") from exc
        self.tracing = _env_true(TRACE_ENV)
        if self.tracing:
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()

    # -- loading -------------------------------------------------------------------------------
    def _load_entry_point(self, ep: metadata.EntryPoint, *, disabled: bool) -> None:
        dist = _dist_name(ep)
        version = ep.dist.version if ep.dist is not None else None
        builtin = dist == BUILTIN_DISTRIBUTION
        info = PluginInfo(ep.name, dist, version, ep.value, "enabled", builtin)
        skipped = "disabled" if disabled else None
        if skipped is None and not builtin and not self.autoload:
            skipped = f"skipped ({AUTOLOAD_ENV})"
        if ep.name in self.infos:
            if skipped is not None:  # not loaded, so no clash: --disable-plugin NAME switches off both
                return
            other = self.infos[ep.name]
            raise PluginError(ep.name, f"two plugins share this name: {ep.value} (distribution {dist}) and "
                                       f"{other.module} (distribution {other.distribution})",
                              distribution=_label(info), skip=f"(to skip both: --disable-plugin {ep.name})")
        if skipped is not None:
            info.status = skipped
            self.infos[ep.name] = info
            return
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(ep.name, f"could not be loaded from {ep.value}: {describe(exc)}",
                              distribution=_label(info)) from exc
        self._register(ep.name, plugin, info)

    def _register(self, name: str, plugin: object, info: PluginInfo) -> None:
        try:
            self.pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(name, f"could not be registered: {describe(exc)}", distribution=_label(info)) \
                from exc
        info.hooks = sorted(impl_name for impl_name in dir(plugin)
                            if impl_name.startswith("tokenplan_") and callable(getattr(plugin, impl_name)))
        self.infos[name] = info

    # -- calling -------------------------------------------------------------------------------
    def _impls(self, hook_name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.pm.hook, hook_name)
        impls = [i for i in caller.get_hookimpls() if not (i.hookwrapper or i.wrapper)]
        return list(reversed(impls))  # pluggy's call order: last registered (and tryfirst) first

    def call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation; return ``(plugin name, result)`` for non-None results."""
        out = []
        for impl in self._impls(hook_name):
            result = self._call_one(impl, hook_name, kwargs)
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    def call_first(self, hook_name: str, **kwargs: Any) -> tuple[str, Any] | None:
        """Call implementations in order until one returns non-None: ``(plugin name, result)``."""
        for impl in self._impls(hook_name):
            result = self._call_one(impl, hook_name, kwargs)
            if result is not None:
                return impl.plugin_name, result
        return None

    def _call_one(self, impl: pluggy.HookImpl, hook_name: str, kwargs: dict[str, Any]) -> Any:
        """One implementation, so that an exception names its plugin; traced like pluggy's own hook calls
        when ``TOKENPLAN_TRACE_PLUGINS`` is set (pluggy's tracer sees only calls through ``pm.hook``)."""
        args = {name: kwargs[name] for name in impl.argnames}
        trace = self.pm.trace.root.get("hook") if self.tracing else None
        if trace is not None:
            trace(hook_name, f"[{impl.plugin_name}]", args)
        try:
            result = impl.function(**args)
        except Exception as exc:
            raise self.error(impl.plugin_name, f"{hook_name} raised {describe(exc)}") from exc
        if trace is not None:
            trace("finish", hook_name, f"[{impl.plugin_name}]", "-->", _brief(result))
        return result

    def plugin_infos(self) -> list[PluginInfo]:
        return sorted(self.infos.values(), key=lambda i: (not i.builtin, i.name))

    # -- errors --------------------------------------------------------------------------------
    def distribution(self, name: str) -> str | None:
        """The distribution that installed plugin ``name``, with its version (None if not known)."""
        info = self.infos.get(name)
        return _label(info) if info is not None else None

    def error(self, name: str, message: str, *, skip: str | None = None) -> PluginError:
        """A :class:`PluginError` for plugin ``name``, naming its distribution."""
        return PluginError(name, message, distribution=self.distribution(name), skip=skip)


def _label(info: PluginInfo) -> str | None:
    if not info.distribution:
        return None
    return f"{info.distribution} {info.version}" if info.version else info.distribution


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


def _dist_name(ep: metadata.EntryPoint) -> str | None:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return None
    name = dist.metadata["Name"] if dist.metadata else None
    return name.lower().replace("_", "-") if name else None


def _module_name(plugin: object) -> str:
    return getattr(plugin, "__name__", None) or type(plugin).__qualname__
