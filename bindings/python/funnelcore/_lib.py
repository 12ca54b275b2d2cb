"""Low-level ctypes mirror of include/funnelcore.h.

This module loads the shared library and declares every struct, callback
type and function prototype.  It is private: the idiomatic API lives in
``funnelcore.engine``, ``funnelcore.attribution`` and ``funnelcore.storage``.

Adding a function: declare its struct(s) here in header order (size-first
structs begin with ``("size", c_uint32)``; fields are only ever appended),
add one line to ``_PROTOTYPES`` and, if it may be missing from older
libraries, list it in ``_OPTIONAL``.  tests/test_abi_layout.py compares every
struct here with the C compiler's sizeof/offsetof, so a drift is caught.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double,
                    c_int, c_int32, c_int64, c_size_t, c_uint32, c_uint64,
                    c_void_p)
from typing import List, Optional

LIB_MAJOR = 0  # the FNL_VERSION_MAJOR these bindings were written for

TIME_NOW = -(2 ** 63)          # FNL_TIME_NOW (INT64_MIN)
TIME_MIN = 0
TIME_MAX = 253402300799999
ROLE_KEEP = 255
MAX_STRING = 4096

# --------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------

_NAMES = ("libfunnelcore.so.0", "libfunnelcore.so", "libfunnelcore.0.dylib",
          "libfunnelcore.dylib", "funnelcore.dll", "libfunnelcore.dll")


def candidates() -> List[str]:
    """Where the library is looked for, in order (see the package docs)."""
    out: List[str] = []
    env = os.environ.get("FUNNELCORE_LIB")
    if env:
        if os.path.isdir(env):
            out.extend(os.path.join(env, n) for n in _NAMES)
        else:
            out.append(env)
        return out  # an explicit choice is never second-guessed
    here = os.path.dirname(os.path.abspath(__file__))
    out.extend(os.path.join(here, n) for n in _NAMES
               if os.path.exists(os.path.join(here, n)))
    found = ctypes.util.find_library("funnelcore")
    if found:
        out.append(found)
    out.append("libfunnelcore.so.0")
    return out


def _load() -> ctypes.CDLL:
    errors = []
    for path in candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as exc:
            errors.append(f"{path}: {exc}")
    raise ImportError(
        "funnelcore: cannot load the shared library (set FUNNELCORE_LIB to "
        "the path of libfunnelcore.so); tried:\n  " + "\n  ".join(errors))


lib = _load()
path = getattr(lib, "_name", "")

# --------------------------------------------------------------------------
# Callback tables
# --------------------------------------------------------------------------

MALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_size_t)
REALLOC_FN = CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_size_t, c_size_t)
FREE_FN = CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)


class fnl_allocator(Structure):
    _fields_ = [("version", c_uint32), ("ctx", c_void_p),
                ("malloc", MALLOC_FN), ("realloc", REALLOC_FN),
                ("free", FREE_FN)]


NOW_FN = CFUNCTYPE(c_int64, c_void_p)


class fnl_clock(Structure):
    _fields_ = [("version", c_uint32), ("ctx", c_void_p), ("now", NOW_FN)]


class fnl_event(Structure):
    _fields_ = [("size", c_uint32), ("kind", c_uint32), ("time", c_int64),
                ("contact", c_uint64), ("other", c_uint64),
                ("account", c_uint64), ("name", c_char_p),
                ("model", c_char_p)]


EVENT_FN = CFUNCTYPE(None, c_void_p, POINTER(fnl_event))


class fnl_listener(Structure):
    _fields_ = [("version", c_uint32), ("ctx", c_void_p),
                ("on_event", EVENT_FN)]


# --------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------

REPLAY_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_void_p, c_size_t)
_ST_APPEND = CFUNCTYPE(c_int, c_void_p, c_uint64, c_void_p, c_size_t)
_ST_SYNC = CFUNCTYPE(c_int, c_void_p)
_ST_REPLAY = CFUNCTYPE(c_int, c_void_p, c_uint64, REPLAY_FN, c_void_p)
_ST_SNAP_BEGIN = CFUNCTYPE(c_int, c_void_p, c_uint64, POINTER(c_void_p))
_ST_SNAP_WRITE = CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p, c_size_t)
_ST_SNAP_COMMIT = CFUNCTYPE(c_int, c_void_p, c_void_p)
_ST_SNAP_ABORT = CFUNCTYPE(None, c_void_p, c_void_p)
_ST_SNAP_OPEN = CFUNCTYPE(c_int, c_void_p, POINTER(c_uint64),
                          POINTER(c_void_p))
_ST_SNAP_READ = CFUNCTYPE(c_int, c_void_p, c_void_p, c_void_p, c_size_t,
                          POINTER(c_size_t))
_ST_SNAP_CLOSE = CFUNCTYPE(None, c_void_p, c_void_p)
_ST_TRUNCATE = CFUNCTYPE(c_int, c_void_p, c_uint64)
_ST_CLOSE = CFUNCTYPE(None, c_void_p)


class fnl_storage(Structure):
    _fields_ = [("version", c_uint32), ("ctx", c_void_p),
                ("append", _ST_APPEND), ("sync", _ST_SYNC),
                ("replay", _ST_REPLAY), ("snapshot_begin", _ST_SNAP_BEGIN),
                ("snapshot_write", _ST_SNAP_WRITE),
                ("snapshot_commit", _ST_SNAP_COMMIT),
                ("snapshot_abort", _ST_SNAP_ABORT),
                ("snapshot_open", _ST_SNAP_OPEN),
                ("snapshot_read", _ST_SNAP_READ),
                ("snapshot_close", _ST_SNAP_CLOSE),
                ("truncate", _ST_TRUNCATE), ("close", _ST_CLOSE)]


class fnl_storage_file_options(Structure):
    _fields_ = [("size", c_uint32), ("sync_policy", c_uint32),
                ("allocator", POINTER(fnl_allocator)),
                ("sync_every_records", c_uint32), ("sync_every_ms", c_uint32),
                ("clock", POINTER(fnl_clock)),
                ("create_if_missing", c_uint32), ("recovery", c_uint32),
                ("errbuf", c_void_p), ("errbuf_size", c_size_t)]


class fnl_storage_file_info(Structure):
    _fields_ = [("size", c_uint32), ("dropped_bytes", c_uint64),
                ("dropped_records", c_uint64), ("dropped_offset", c_uint64),
                ("records", c_uint64), ("first_seq", c_uint64),
                ("last_seq", c_uint64), ("journal_bytes", c_uint64),
                ("snapshot_seq", c_uint64), ("has_snapshot", c_uint32),
                ("failed", c_uint32), ("syncs", c_uint64)]


# --------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------

class fnl_channel_rule(Structure):
    _fields_ = [("field", c_uint32), ("pattern", c_char_p),
                ("channel", c_char_p)]


class fnl_engine_config(Structure):
    _fields_ = [("size", c_uint32), ("precedence", c_uint32),
                ("allocator", POINTER(fnl_allocator)),
                ("clock", POINTER(fnl_clock)),
                ("listener", POINTER(fnl_listener)),
                ("source_priority", POINTER(c_char_p)),
                ("source_priority_count", c_size_t),
                ("freemail_domains", POINTER(c_char_p)),
                ("freemail_domain_count", c_size_t),
                ("default_country_code", c_char_p),
                ("channel_rules", POINTER(fnl_channel_rule)),
                ("channel_rule_count", c_size_t),
                ("storage", POINTER(fnl_storage)),
                ("errbuf", c_void_p), ("errbuf_size", c_size_t),
                ("snapshot_compression", c_uint32)]


class fnl_stats(Structure):
    _fields_ = [("size", c_uint32)] + [
        (n, c_uint64) for n in (
            "contacts", "merges", "accounts", "touches", "deals", "costs",
            "identity_keys", "strings", "string_bytes", "memory_bytes",
            "memory_peak", "forgotten", "journal_seq")]


# --------------------------------------------------------------------------
# Contacts, accounts
# --------------------------------------------------------------------------

class fnl_key(Structure):
    _fields_ = [("kind", c_char_p), ("value", c_char_p)]


class fnl_attr(Structure):
    _fields_ = [("name", c_char_p), ("type", c_uint32), ("str", c_char_p),
                ("num", c_double)]


class fnl_contact_update(Structure):
    _fields_ = [("size", c_uint32), ("keys", POINTER(fnl_key)),
                ("key_count", c_size_t), ("contact", c_uint64),
                ("attrs", POINTER(fnl_attr)), ("attr_count", c_size_t),
                ("tags_add", POINTER(c_char_p)), ("tags_add_count", c_size_t),
                ("tags_remove", POINTER(c_char_p)),
                ("tags_remove_count", c_size_t),
                ("owner", c_char_p), ("account", c_char_p),
                ("role", c_uint32), ("source", c_char_p), ("time", c_int64)]


class fnl_contact_info(Structure):
    _fields_ = [("size", c_uint32), ("id", c_uint64), ("account", c_uint64),
                ("owner", c_char_p), ("role", c_uint32),
                ("key_count", c_uint32), ("attr_count", c_uint32),
                ("tag_count", c_uint32), ("touch_count", c_uint64),
                ("created", c_int64), ("first_touch", c_int64),
                ("last_touch", c_int64)]


class fnl_account_update(Structure):
    _fields_ = [("size", c_uint32), ("id", c_char_p),
                ("domains", POINTER(c_char_p)), ("domain_count", c_size_t),
                ("attrs", POINTER(fnl_attr)), ("attr_count", c_size_t),
                ("owner", c_char_p), ("source", c_char_p), ("time", c_int64)]


class fnl_account_info(Structure):
    _fields_ = [("size", c_uint32), ("id", c_uint64), ("name", c_char_p),
                ("owner", c_char_p), ("domain_count", c_uint32),
                ("attr_count", c_uint32), ("contact_count", c_uint64),
                ("created", c_int64)]


# --------------------------------------------------------------------------
# Touches
# --------------------------------------------------------------------------

class fnl_touch(Structure):
    # `keys` is declared c_void_p (same size and place as `const fnl_key *`)
    # so a batch can point each touch into one shared key array by address.
    _fields_ = [("size", c_uint32), ("time", c_int64), ("keys", c_void_p),
                ("key_count", c_size_t), ("contact", c_uint64),
                ("type", c_char_p), ("channel", c_char_p),
                ("campaign", c_char_p), ("content", c_char_p),
                ("url", c_char_p), ("referrer", c_char_p),
                ("utm_source", c_char_p), ("utm_medium", c_char_p),
                ("utm_campaign", c_char_p), ("utm_term", c_char_p),
                ("utm_content", c_char_p), ("account", c_char_p),
                ("value", c_int64), ("by", c_char_p)]


class fnl_touch_info(Structure):
    _fields_ = [("size", c_uint32), ("time", c_int64), ("contact", c_uint64),
                ("type", c_char_p), ("channel", c_char_p),
                ("campaign", c_char_p), ("content", c_char_p),
                ("utm_source", c_char_p), ("utm_medium", c_char_p),
                ("utm_campaign", c_char_p), ("utm_term", c_char_p),
                ("utm_content", c_char_p), ("value", c_int64),
                ("by", c_char_p)]


# --------------------------------------------------------------------------
# Deals and costs
# --------------------------------------------------------------------------

class fnl_deal_contact(Structure):
    _fields_ = [("contact", c_uint64), ("key", fnl_key), ("role", c_uint32)]


class fnl_deal_update(Structure):
    _fields_ = [("size", c_uint32), ("id", c_char_p), ("account", c_char_p),
                ("contacts", POINTER(fnl_deal_contact)),
                ("contact_count", c_size_t), ("amount", c_int64),
                ("currency", c_char_p), ("created", c_int64),
                ("closed", c_int64), ("status", c_uint32),
                ("stage", c_char_p), ("owner", c_char_p),
                ("attrs", POINTER(fnl_attr)), ("attr_count", c_size_t)]


class fnl_deal_info(Structure):
    _fields_ = [("size", c_uint32), ("id", c_uint64), ("name", c_char_p),
                ("account", c_uint64), ("amount", c_int64),
                ("currency", c_char * 4), ("created", c_int64),
                ("closed", c_int64), ("status", c_uint32),
                ("stage", c_char_p), ("owner", c_char_p),
                ("contact_count", c_uint32), ("attr_count", c_uint32)]


class fnl_owner_update(Structure):
    _fields_ = [("size", c_uint32), ("name", c_char_p),
                ("attrs", POINTER(fnl_attr)), ("attr_count", c_size_t),
                ("source", c_char_p), ("time", c_int64)]


class fnl_owner_info(Structure):
    _fields_ = [("size", c_uint32), ("name", c_char_p),
                ("attr_count", c_uint32), ("created", c_int64)]


class fnl_cost(Structure):
    _fields_ = [("size", c_uint32), ("channel", c_char_p),
                ("campaign", c_char_p), ("region", c_char_p),
                ("start", c_int64), ("end", c_int64), ("amount", c_int64),
                ("currency", c_char_p)]


# --------------------------------------------------------------------------
# Attribution (src/attribution_api.h, moving into funnelcore.h)
# --------------------------------------------------------------------------

class fnl_attribution_options(Structure):
    _fields_ = [("size", c_uint32), ("models", c_uint32),
                ("markov_order", c_uint32), ("shapley_value", c_uint32),
                ("half_life_ms", c_int64), ("direct_group", c_char_p),
                ("custom_first", c_double), ("custom_middle", c_double),
                ("custom_last", c_double), ("value_decimals", c_uint32),
                ("allocator", POINTER(fnl_allocator))]


class fnl_journey(Structure):
    _fields_ = [("size", c_uint32), ("groups", POINTER(c_char_p)),
                ("times", POINTER(c_int64)), ("touch_count", c_size_t),
                ("conversions", c_uint64), ("nulls", c_uint64),
                ("value", c_int64), ("conversion_time", c_int64),
                ("lead_index", c_int32), ("opportunity_index", c_int32),
                ("close_index", c_int32)]


class fnl_paths_options(Structure):
    _fields_ = [("size", c_uint32), ("value_decimals", c_uint32),
                ("separator", c_char),
                ("allocator", POINTER(fnl_allocator))]


class fnl_paths_error(Structure):
    _fields_ = [("size", c_uint32), ("line", c_uint64), ("column", c_uint64),
                ("message", c_char * 160)]


class fnl_attribution_info(Structure):
    _fields_ = [("size", c_uint32), ("model", c_uint32),
                ("markov_order", c_uint32), ("shapley_value", c_uint32),
                ("half_life_ms", c_int64), ("direct_group", c_char_p),
                ("custom_first", c_double), ("custom_middle", c_double),
                ("custom_last", c_double), ("value_decimals", c_uint32),
                ("row_count", c_uint64), ("journeys", c_uint64),
                ("touches", c_uint64), ("total_conversions", c_double),
                ("total_value", c_double), ("total_nulls", c_double),
                ("markov_conversion_probability", c_double),
                ("markov_states", c_uint64), ("positions", c_uint32)]


class fnl_attribution_row(Structure):
    _fields_ = [("size", c_uint32), ("key", c_char_p),
                ("conversions", c_double), ("value", c_double),
                ("touches", c_uint64), ("removal_effect", c_double),
                ("value_removal_effect", c_double)]


# Attribution over the engine, serialised partials

class fnl_engine_attribution_options(Structure):
    _fields_ = [("size", c_uint32), ("conversion", c_uint32),
                ("scope", c_uint32), ("group_by", c_uint32),
                ("group_attr", c_char_p), ("lookback_ms", c_int64),
                ("exclude_types", POINTER(c_char_p)),
                ("exclude_type_count", c_size_t),
                ("lead_types", POINTER(c_char_p)),
                ("lead_type_count", c_size_t),
                ("nonconverting", c_uint32), ("currency", c_char_p),
                ("from_", c_int64), ("until", c_int64),
                ("unattributed_key", c_char_p),
                ("attribution", POINTER(fnl_attribution_options)),
                ("stage", c_char_p)]


class fnl_engine_attribution_stats(Structure):
    _fields_ = [("size", c_uint32), ("currency", c_char * 4),
                ("conversions", c_uint64), ("nonconverting", c_uint64),
                ("touches", c_uint64), ("untouched", c_uint64),
                ("untouched_value", c_int64), ("other_currency", c_uint64)]


# --------------------------------------------------------------------------
# Lead scoring; scoring models attached to an engine
# --------------------------------------------------------------------------

PROGRESS_FN = CFUNCTYPE(c_int, c_void_p, c_uint64, c_uint64)


class fnl_progress(Structure):
    _fields_ = [("version", c_uint32), ("ctx", c_void_p),
                ("report", PROGRESS_FN)]


class fnl_parse_error(Structure):
    _fields_ = [("size", c_uint32), ("line", c_uint32), ("column", c_uint32),
                ("message", c_char * 256)]


class fnl_model_info(Structure):
    _fields_ = [("size", c_uint32), ("name", c_char_p), ("version", c_uint32),
                ("half_life", c_int64), ("fit_rules", c_uint32),
                ("engage_rules", c_uint32), ("key_events", c_uint32),
                ("thresholds", c_uint32), ("fingerprint", c_uint64)]


class fnl_score_result(Structure):
    _fields_ = [("size", c_uint32), ("time", c_int64), ("fit", c_double),
                ("engagement", c_double), ("total", c_double),
                ("grade", c_char * 4), ("band", c_uint32),
                ("cell", c_char * 4), ("key_events", c_uint64),
                ("firings", c_uint32), ("thresholds", c_uint64)]


class fnl_score_row(Structure):
    _fields_ = [("kind", c_uint32), ("index", c_uint32), ("rule", c_char_p),
                ("points", c_double), ("matched", c_uint64),
                ("counted", c_uint64), ("raw", c_double), ("value", c_double)]


class fnl_key_event_fire(Structure):
    _fields_ = [("event", c_uint32), ("name", c_char_p), ("time", c_int64)]


class fnl_account_score(Structure):
    _fields_ = [("size", c_uint32), ("score", c_double),
                ("contacts", c_uint32), ("engaged", c_uint32),
                ("roles_engaged", c_uint32), ("roles_required", c_uint32),
                ("roles_covered", c_uint32), ("coverage", c_double)]


# --------------------------------------------------------------------------
# ROI and funnel reports
# --------------------------------------------------------------------------

class fnl_report_info(Structure):
    _fields_ = [("size", c_uint32), ("kind", c_uint32), ("name", c_char_p),
                ("currency", c_char * 4), ("row_count", c_uint64),
                ("column_count", c_uint32), ("summary_count", c_uint32),
                ("has_totals", c_uint32)]


class fnl_report_column(Structure):
    _fields_ = [("size", c_uint32), ("name", c_char_p), ("type", c_uint32),
                ("unit", c_uint32)]


class fnl_report_value(Structure):
    _fields_ = [("size", c_uint32), ("type", c_uint32), ("i", c_int64),
                ("num", c_double), ("str", c_char_p)]


class fnl_stage_counts(Structure):
    _fields_ = [("group", c_char_p), ("leads", c_double), ("mqls", c_double),
                ("sqls", c_double), ("opportunities", c_double),
                ("customers", c_double)]


class fnl_roi_request(Structure):
    _fields_ = [("size", c_uint32), ("group_by", c_uint32),
                ("from_", c_int64), ("to", c_int64), ("region", c_char_p),
                ("currency", c_char_p), ("fx", c_void_p),
                ("revenue", c_void_p), ("pipeline", c_void_p),
                ("value_scale", c_double),
                ("stage_counts", POINTER(fnl_stage_counts)),
                ("stage_count_count", c_size_t),
                ("costs", POINTER(fnl_cost)), ("cost_count", c_size_t),
                ("benchmark_revenue_to_cost", c_double),
                ("allocator", POINTER(fnl_allocator)),
                ("leads", c_void_p), ("mqls", c_void_p), ("sqls", c_void_p)]


class fnl_spend_request(Structure):
    _fields_ = [("size", c_uint32), ("group_by", c_uint32),
                ("period", c_uint32), ("from_", c_int64), ("to", c_int64),
                ("boundaries", POINTER(c_int64)),
                ("boundary_count", c_size_t), ("region", c_char_p),
                ("currency", c_char_p), ("fx", c_void_p),
                ("costs", POINTER(fnl_cost)), ("cost_count", c_size_t),
                ("allocator", POINTER(fnl_allocator))]


class fnl_stage_probability(Structure):
    _fields_ = [("stage", c_char_p), ("probability", c_double)]


class fnl_deal_report_request(Structure):
    _fields_ = [("size", c_uint32), ("group_by", c_uint32),
                ("group_attr", c_char_p), ("from_", c_int64), ("to", c_int64),
                ("as_of", c_int64), ("currency", c_char_p), ("fx", c_void_p),
                ("stage_probabilities", POINTER(fnl_stage_probability)),
                ("stage_probability_count", c_size_t),
                ("forecast_until", c_int64),
                ("benchmark_win_rate", c_double),
                ("benchmark_cycle_days", c_double),
                ("benchmark_deal_size", c_int64),
                ("allocator", POINTER(fnl_allocator))]


class fnl_cohort_request(Structure):
    _fields_ = [("size", c_uint32), ("period", c_uint32), ("from_", c_int64),
                ("to", c_int64), ("boundaries", POINTER(c_int64)),
                ("boundary_count", c_size_t), ("as_of", c_int64),
                ("ages", POINTER(c_uint32)), ("age_count", c_size_t),
                ("currency", c_char_p), ("fx", c_void_p),
                ("allocator", POINTER(fnl_allocator))]


class fnl_survival_request(Structure):
    _fields_ = [("size", c_uint32), ("days", POINTER(c_double)),
                ("converted", POINTER(ctypes.c_uint8)), ("n", c_size_t),
                ("window_days", c_double), ("cold_threshold", c_double),
                ("allocator", POINTER(fnl_allocator))]


class fnl_time_to_convert_request(Structure):
    _fields_ = [("size", c_uint32), ("from_", c_int64), ("to", c_int64),
                ("as_of", c_int64), ("window_days", c_double),
                ("cold_threshold", c_double),
                ("allocator", POINTER(fnl_allocator))]


class fnl_budget_line(Structure):
    _fields_ = [("name", c_char_p), ("weight", c_double), ("min", c_int64),
                ("cap", c_int64)]


class fnl_budget_request(Structure):
    _fields_ = [("size", c_uint32), ("total", c_int64),
                ("currency", c_char_p), ("lines", POINTER(fnl_budget_line)),
                ("line_count", c_size_t), ("phases", c_uint32),
                ("phase_weights", POINTER(c_double)),
                ("allocator", POINTER(fnl_allocator))]


# lifecycle stage machines attached to an engine
class fnl_stage_status(Structure):
    _fields_ = [("size", c_uint32), ("stage", c_uint32), ("name", c_char_p),
                ("entered", c_int64), ("owner", c_char_p),
                ("reached", c_uint64), ("reached_count", c_uint32),
                ("unsubscribed", c_uint32), ("history", c_uint64)]


class fnl_stage_record(Structure):
    _fields_ = [("time", c_int64), ("kind", c_uint32), ("cause", c_uint32),
                ("from_", c_char_p), ("to", c_char_p), ("rule", c_uint32),
                ("back", c_uint32), ("owner", c_char_p),
                ("prev_owner", c_char_p), ("reason", c_char_p)]



# reports from the stage history
class fnl_stage_pair(Structure):
    _fields_ = [("from_", c_char_p), ("to", c_char_p), ("low", c_double),
                ("high", c_double)]


class fnl_stage_funnel_request(Structure):
    _fields_ = [("size", c_uint32), ("group_by", c_uint32),
                ("group_attr", c_char_p), ("from_", c_int64), ("to", c_int64),
                ("as_of", c_int64), ("pairs", POINTER(fnl_stage_pair)),
                ("pair_count", c_size_t),
                ("allocator", POINTER(fnl_allocator))]


class fnl_stage_cohort_request(Structure):
    _fields_ = [("size", c_uint32), ("stage", c_char_p), ("period", c_uint32),
                ("from_", c_int64), ("to", c_int64),
                ("boundaries", POINTER(c_int64)),
                ("boundary_count", c_size_t), ("as_of", c_int64),
                ("ages", POINTER(c_uint32)), ("age_count", c_size_t),
                ("targets", POINTER(c_char_p)), ("target_count", c_size_t),
                ("allocator", POINTER(fnl_allocator))]


class fnl_stage_time_to_convert_request(Structure):
    _fields_ = [("size", c_uint32), ("from_stage", c_char_p),
                ("to_stage", c_char_p), ("from_", c_int64), ("to", c_int64),
                ("as_of", c_int64), ("window_days", c_double),
                ("cold_threshold", c_double),
                ("allocator", POINTER(fnl_allocator))]


class fnl_rejection_request(Structure):
    _fields_ = [("size", c_uint32), ("group_by", c_uint32),
                ("group_attr", c_char_p), ("from_", c_int64), ("to", c_int64),
                ("allocator", POINTER(fnl_allocator))]


class fnl_stage_counts_request(Structure):
    _fields_ = [("size", c_uint32), ("group_by", c_uint32),
                ("group_attr", c_char_p), ("view", c_uint32),
                ("from_", c_int64), ("to", c_int64), ("as_of", c_int64),
                ("lead_stage", c_char_p), ("mql_stage", c_char_p),
                ("sql_stage", c_char_p), ("opportunity_stage", c_char_p),
                ("customer_stage", c_char_p),
                ("allocator", POINTER(fnl_allocator))]


# Every size-first struct, by C name (used by the layout test).
STRUCTS = {cls.__name__: cls for cls in (
    fnl_allocator, fnl_clock, fnl_event, fnl_listener, fnl_storage,
    fnl_storage_file_options, fnl_storage_file_info, fnl_channel_rule,
    fnl_engine_config, fnl_stats, fnl_key, fnl_attr, fnl_contact_update,
    fnl_contact_info, fnl_account_update, fnl_account_info, fnl_touch,
    fnl_touch_info, fnl_deal_contact, fnl_deal_update, fnl_deal_info,
    fnl_owner_update, fnl_owner_info, fnl_cost, fnl_attribution_options, fnl_journey, fnl_paths_options,
    fnl_paths_error, fnl_attribution_info, fnl_attribution_row,
    fnl_engine_attribution_options, fnl_engine_attribution_stats,
    fnl_progress, fnl_parse_error, fnl_model_info, fnl_score_result,
    fnl_score_row, fnl_key_event_fire, fnl_account_score, fnl_report_info,
    fnl_report_column, fnl_report_value, fnl_stage_counts, fnl_roi_request,
    fnl_spend_request, fnl_stage_probability, fnl_deal_report_request,
    fnl_cohort_request, fnl_survival_request, fnl_time_to_convert_request,
    fnl_budget_line, fnl_budget_request, fnl_stage_status,
    fnl_stage_record, fnl_stage_pair, fnl_stage_funnel_request,
    fnl_stage_cohort_request, fnl_stage_time_to_convert_request,
    fnl_rejection_request, fnl_stage_counts_request)}
# C field names that are Python keywords
C_FIELD_NAMES = {"from_": "from"}

# --------------------------------------------------------------------------
# Prototypes
# --------------------------------------------------------------------------

P = POINTER
vp = c_void_p
sz = c_size_t
u64 = c_uint64
cp = c_char_p

_PROTOTYPES = {
    "fnl_version": (cp, []),
    "fnl_version_number": (c_int, []),
    "fnl_strerror": (cp, [c_int]),
    "fnl_errmsg": (cp, [vp]),
    "fnl_role_name": (cp, [c_uint32]),
    "fnl_role_parse": (c_int, [cp, P(c_uint32)]),
    # storage
    "fnl_storage_close": (None, [P(fnl_storage)]),
    "fnl_storage_mem_open": (c_int, [P(P(fnl_storage)), P(fnl_allocator)]),
    "fnl_storage_file_options_init":
        (c_int, [P(fnl_storage_file_options), sz]),
    "fnl_storage_file_open":
        (c_int, [P(P(fnl_storage)), cp, P(fnl_storage_file_options)]),
    "fnl_storage_file_info_init": (c_int, [P(fnl_storage_file_info), sz]),
    "fnl_storage_file_stats":
        (c_int, [P(fnl_storage), P(fnl_storage_file_info)]),
    "fnl_storage_file_errmsg": (cp, [P(fnl_storage)]),
    # engine
    "fnl_engine_config_init": (c_int, [P(fnl_engine_config), sz]),
    "fnl_engine_open": (c_int, [P(vp), P(fnl_engine_config)]),
    "fnl_engine_close": (None, [vp]),
    "fnl_engine_now": (c_int, [vp, P(c_int64)]),
    "fnl_engine_checkpoint": (c_int, [vp]),
    "fnl_engine_sync": (c_int, [vp]),
    "fnl_stats_init": (c_int, [P(fnl_stats), sz]),
    "fnl_engine_stats": (c_int, [vp, P(fnl_stats)]),
    # contacts
    "fnl_contact_update_init": (c_int, [P(fnl_contact_update), sz]),
    "fnl_contact_upsert": (c_int, [vp, P(fnl_contact_update), P(u64)]),
    "fnl_contact_find": (c_int, [vp, cp, cp, P(u64)]),
    "fnl_contact_resolve": (c_int, [vp, u64, P(u64)]),
    "fnl_contact_info_init": (c_int, [P(fnl_contact_info), sz]),
    "fnl_contact_get": (c_int, [vp, u64, P(fnl_contact_info)]),
    "fnl_contact_keys": (c_int, [vp, u64, P(fnl_key), sz, P(sz)]),
    "fnl_contact_attrs": (c_int, [vp, u64, P(fnl_attr), sz, P(sz)]),
    "fnl_contact_tags": (c_int, [vp, u64, P(cp), sz, P(sz)]),
    "fnl_contact_attr": (c_int, [vp, u64, cp, P(fnl_attr)]),
    "fnl_contact_next": (c_int, [vp, u64, P(u64)]),
    "fnl_contact_forget": (c_int, [vp, u64]),
    # accounts
    "fnl_account_update_init": (c_int, [P(fnl_account_update), sz]),
    "fnl_account_upsert": (c_int, [vp, P(fnl_account_update), P(u64)]),
    "fnl_account_find": (c_int, [vp, cp, P(u64)]),
    "fnl_account_info_init": (c_int, [P(fnl_account_info), sz]),
    "fnl_account_get": (c_int, [vp, u64, P(fnl_account_info)]),
    "fnl_account_domains": (c_int, [vp, u64, P(cp), sz, P(sz)]),
    "fnl_account_attrs": (c_int, [vp, u64, P(fnl_attr), sz, P(sz)]),
    "fnl_account_contacts": (c_int, [vp, u64, P(u64), sz, P(sz)]),
    "fnl_account_next": (c_int, [vp, u64, P(u64)]),
    "fnl_domain_is_freemail": (c_int, [vp, cp, P(c_int)]),
    # touches
    "fnl_touch_init": (c_int, [P(fnl_touch), sz]),
    "fnl_touch_add": (c_int, [vp, P(fnl_touch), P(u64)]),
    "fnl_touch_add_batch": (c_int, [vp, P(fnl_touch), sz, P(u64)]),
    "fnl_contact_touches":
        (c_int, [vp, u64, P(fnl_touch_info), sz, sz, P(sz)]),
    "fnl_touch_channel": (c_int, [vp, P(fnl_touch), P(cp)]),
    # deals, costs
    "fnl_deal_update_init": (c_int, [P(fnl_deal_update), sz]),
    "fnl_deal_upsert": (c_int, [vp, P(fnl_deal_update), P(u64)]),
    "fnl_deal_find": (c_int, [vp, cp, P(u64)]),
    "fnl_deal_get": (c_int, [vp, u64, P(fnl_deal_info)]),
    "fnl_deal_contacts": (c_int, [vp, u64, P(fnl_deal_contact), sz, P(sz)]),
    "fnl_deal_next": (c_int, [vp, u64, P(u64)]),
    "fnl_deal_attrs": (c_int, [vp, u64, P(fnl_attr), sz, P(sz)]),
    "fnl_deal_attr": (c_int, [vp, u64, cp, P(fnl_attr)]),
    # owner records
    "fnl_owner_update_init": (c_int, [P(fnl_owner_update), sz]),
    "fnl_owner_upsert": (c_int, [vp, P(fnl_owner_update)]),
    "fnl_owner_info_init": (c_int, [P(fnl_owner_info), sz]),
    "fnl_owner_get": (c_int, [vp, cp, P(fnl_owner_info)]),
    "fnl_owner_attrs": (c_int, [vp, cp, P(fnl_attr), sz, P(sz)]),
    "fnl_owner_attr": (c_int, [vp, cp, cp, P(fnl_attr)]),
    "fnl_owner_list": (c_int, [vp, P(cp), sz, P(sz)]),
    "fnl_cost_init": (c_int, [P(fnl_cost), sz]),
    "fnl_cost_add": (c_int, [vp, P(fnl_cost), P(u64)]),
    "fnl_cost_get": (c_int, [vp, u64, P(fnl_cost), P(c_char)]),
    # attribution
    "fnl_attr_model_name": (cp, [c_uint32]),
    "fnl_attr_model_parse": (c_int, [cp, P(c_uint32)]),
    "fnl_attribution_options_init":
        (c_int, [P(fnl_attribution_options), sz]),
    "fnl_journeys_new": (c_int, [P(vp), c_uint32, P(fnl_allocator)]),
    "fnl_journeys_free": (None, [vp]),
    "fnl_journey_init": (c_int, [P(fnl_journey), sz]),
    "fnl_journeys_add": (c_int, [vp, P(fnl_journey)]),
    "fnl_journeys_count": (sz, [vp]),
    "fnl_journeys_group_count": (sz, [vp]),
    "fnl_paths_options_init": (c_int, [P(fnl_paths_options), sz]),
    "fnl_paths_parse": (c_int, [P(vp), c_void_p, sz, P(fnl_paths_options),
                                P(fnl_paths_error)]),
    "fnl_paths_read": (c_int, [P(vp), cp, P(fnl_paths_options),
                               P(fnl_paths_error)]),
    "fnl_attribution_run":
        (c_int, [P(vp), vp, c_uint32, P(fnl_attribution_options)]),
    "fnl_attribution_free": (None, [vp]),
    "fnl_attribution_info_init": (c_int, [P(fnl_attribution_info), sz]),
    "fnl_attribution_get_info": (c_int, [vp, P(fnl_attribution_info)]),
    "fnl_attribution_row_init": (c_int, [P(fnl_attribution_row), sz]),
    "fnl_attribution_row_count": (sz, [vp]),
    "fnl_attribution_row_get": (c_int, [vp, sz, P(fnl_attribution_row)]),
    "fnl_attribution_positions": (c_int, [vp, sz, P(c_double), sz, P(sz)]),
    "fnl_attribution_partial_new":
        (c_int, [P(vp), P(fnl_attribution_options)]),
    "fnl_attribution_partial_free": (None, [vp]),
    "fnl_attribution_partial_add": (c_int, [vp, vp, sz, sz]),
    "fnl_attribution_partial_merge": (c_int, [vp, vp]),
    "fnl_attribution_partial_finish": (c_int, [vp, c_uint32, P(vp)]),
    "fnl_engine_attribution_options_init":
        (c_int, [P(fnl_engine_attribution_options), sz]),
    "fnl_engine_attribution_stats_init":
        (c_int, [P(fnl_engine_attribution_stats), sz]),
    "fnl_engine_journeys": (c_int, [vp, P(fnl_engine_attribution_options),
                                    P(vp), P(fnl_engine_attribution_stats)]),
    "fnl_engine_attribute": (c_int, [vp, P(fnl_engine_attribution_options),
                                     c_uint32, P(vp),
                                     P(fnl_engine_attribution_stats)]),
    "fnl_attribution_partial_save_bound": (sz, [vp]),
    "fnl_attribution_partial_save": (c_int, [vp, c_void_p, sz, P(sz)]),
    "fnl_attribution_partial_load":
        (c_int, [P(vp), c_void_p, sz, P(fnl_allocator)]),
    # lead scoring
    "fnl_parse_error_init": (c_int, [P(fnl_parse_error), sz]),
    "fnl_model_parse": (c_int, [P(vp), c_void_p, sz, P(fnl_allocator),
                                P(fnl_parse_error)]),
    "fnl_model_free": (None, [vp]),
    "fnl_model_name": (cp, [vp]),
    "fnl_model_info_init": (c_int, [P(fnl_model_info), sz]),
    "fnl_model_get_info": (c_int, [vp, P(fnl_model_info)]),
    "fnl_model_to_text": (c_int, [vp, c_void_p, sz, P(sz)]),
    "fnl_model_key_event_name": (cp, [vp, c_uint32]),
    "fnl_model_threshold_name": (cp, [vp, c_uint32]),
    "fnl_score_result_init": (c_int, [P(fnl_score_result), sz]),
    "fnl_model_score": (c_int, [vp, P(fnl_attr), sz, P(fnl_touch_info), sz,
                                sz, c_int64, P(fnl_score_result)]),
    "fnl_model_explain": (c_int, [vp, P(fnl_attr), sz, P(fnl_touch_info),
                                  sz, sz, c_int64, P(fnl_score_row), sz,
                                  P(sz)]),
    "fnl_model_key_event_history":
        (c_int, [vp, P(fnl_touch_info), sz, sz, c_int64,
                 P(fnl_key_event_fire), sz, P(sz)]),
    "fnl_account_score_init": (c_int, [P(fnl_account_score), sz]),
    "fnl_engine_attach_model": (c_int, [vp, vp, P(fnl_progress)]),
    "fnl_engine_detach_model": (c_int, [vp, cp]),
    "fnl_engine_model": (c_int, [vp, sz, P(vp)]),
    "fnl_contact_score": (c_int, [vp, u64, cp, c_int64,
                                  P(fnl_score_result)]),
    "fnl_contact_explain": (c_int, [vp, u64, cp, c_int64, P(fnl_score_row),
                                    sz, P(sz)]),
    "fnl_account_score_get": (c_int, [vp, u64, cp, c_int64,
                                      P(fnl_account_score)]),
    # attribution straight into partials
    "fnl_engine_attribution_partial":
        (c_int, [vp, P(fnl_engine_attribution_options), P(vp),
                 P(fnl_engine_attribution_stats)]),
    "fnl_paths_parse_partial": (c_int, [vp, c_void_p, sz,
                                        P(fnl_paths_options),
                                        P(fnl_paths_error)]),
    "fnl_paths_read_partial": (c_int, [vp, cp, P(fnl_paths_options),
                                       P(fnl_paths_error)]),
    # reports
    "fnl_report_kind_name": (cp, [c_uint32]),
    "fnl_report_free": (None, [vp]),
    "fnl_report_info_init": (c_int, [P(fnl_report_info), sz]),
    "fnl_report_get_info": (c_int, [vp, P(fnl_report_info)]),
    "fnl_report_column_init": (c_int, [P(fnl_report_column), sz]),
    "fnl_report_column_get": (c_int, [vp, sz, P(fnl_report_column)]),
    "fnl_report_row_count": (sz, [vp]),
    "fnl_report_value_init": (c_int, [P(fnl_report_value), sz]),
    "fnl_report_value_get": (c_int, [vp, sz, sz, P(fnl_report_value)]),
    "fnl_report_summary_get": (c_int, [vp, sz, P(cp),
                                       P(fnl_report_value)]),
    "fnl_report_json": (c_int, [vp, c_void_p, sz, P(sz)]),
    "fnl_report_csv": (c_int, [vp, c_void_p, sz, P(sz)]),
    "fnl_roi_request_init": (c_int, [P(fnl_roi_request), sz]),
    "fnl_report_roi": (c_int, [vp, P(fnl_roi_request), P(vp)]),
    "fnl_spend_request_init": (c_int, [P(fnl_spend_request), sz]),
    "fnl_report_spend": (c_int, [vp, P(fnl_spend_request), P(vp)]),
    "fnl_deal_report_request_init":
        (c_int, [P(fnl_deal_report_request), sz]),
    "fnl_report_deals": (c_int, [vp, P(fnl_deal_report_request), P(vp)]),
    "fnl_cohort_request_init": (c_int, [P(fnl_cohort_request), sz]),
    "fnl_report_cohort": (c_int, [vp, P(fnl_cohort_request), P(vp)]),
    "fnl_survival_request_init": (c_int, [P(fnl_survival_request), sz]),
    "fnl_survival_km": (c_int, [P(fnl_survival_request), P(vp)]),
    "fnl_time_to_convert_request_init":
        (c_int, [P(fnl_time_to_convert_request), sz]),
    "fnl_report_time_to_convert":
        (c_int, [vp, P(fnl_time_to_convert_request), P(vp)]),
    "fnl_budget_request_init": (c_int, [P(fnl_budget_request), sz]),
    "fnl_budget_allocate": (c_int, [P(fnl_budget_request), P(vp)]),
    "fnl_fx_new": (c_int, [P(vp), P(fnl_allocator)]),
    "fnl_fx_free": (None, [vp]),
    "fnl_fx_add": (c_int, [vp, cp, cp, c_double, c_int64, c_int64]),
    "fnl_fx_convert": (c_int, [vp, c_int64, cp, cp, c_int64, P(c_int64)]),
    "fnl_currency_digits": (c_int, [cp]),
    # lifecycle stage machines
    "fnl_host_event_name": (cp, [c_uint32]),
    "fnl_machine_parse": (c_int, [P(vp), c_void_p, sz, P(fnl_allocator),
                                  P(fnl_parse_error)]),
    "fnl_machine_default": (c_int, [P(vp), P(fnl_allocator)]),
    "fnl_machine_free": (None, [vp]),
    "fnl_machine_to_text": (c_int, [vp, c_void_p, sz, P(sz)]),
    "fnl_machine_name": (cp, [vp]),
    "fnl_machine_version": (c_uint32, [vp]),
    "fnl_machine_stage_count": (c_uint32, [vp]),
    "fnl_machine_stage_name": (cp, [vp, c_uint32]),
    "fnl_engine_attach_machine": (c_int, [vp, vp]),
    "fnl_contact_event": (c_int, [vp, u64, cp, cp, c_int64]),
    "fnl_engine_tick": (c_int, [vp, c_int64]),
    "fnl_contact_stage": (c_int, [vp, u64, P(fnl_stage_status)]),
    "fnl_contact_stage_history": (c_int, [vp, u64, P(fnl_stage_record), sz,
                                          P(sz)]),
    # reports from the stage history
    "fnl_stage_funnel_request_init":
        (c_int, [P(fnl_stage_funnel_request), sz]),
    "fnl_report_stage_funnel":
        (c_int, [vp, P(fnl_stage_funnel_request), P(vp)]),
    "fnl_stage_cohort_request_init":
        (c_int, [P(fnl_stage_cohort_request), sz]),
    "fnl_report_stage_cohort":
        (c_int, [vp, P(fnl_stage_cohort_request), P(vp)]),
    "fnl_stage_time_to_convert_request_init":
        (c_int, [P(fnl_stage_time_to_convert_request), sz]),
    "fnl_report_stage_time_to_convert":
        (c_int, [vp, P(fnl_stage_time_to_convert_request), P(vp)]),
    "fnl_rejection_request_init": (c_int, [P(fnl_rejection_request), sz]),
    "fnl_report_rejections": (c_int, [vp, P(fnl_rejection_request), P(vp)]),
    "fnl_stage_counts_request_init":
        (c_int, [P(fnl_stage_counts_request), sz]),
    "fnl_engine_stage_counts":
        (c_int, [vp, P(fnl_stage_counts_request), P(P(fnl_stage_counts)),
                 P(sz)]),
    "fnl_stage_counts_free": (None, [P(fnl_stage_counts)]),
}

# Functions that an older or differently built library may lack; the
# feature that needs them raises Unsupported instead of failing at import.
_OPTIONAL_PREFIXES = ("fnl_attr_model_", "fnl_attribution_", "fnl_journey",
                      "fnl_engine_attribut", "fnl_engine_journeys",
                      "fnl_paths_", "fnl_engine_checkpoint",
                      "fnl_engine_sync", "fnl_contact_forget",
                      "fnl_parse_error", "fnl_model_", "fnl_score_",
                      "fnl_account_score", "fnl_engine_attach_model",
                      "fnl_engine_detach_model", "fnl_engine_model",
                      "fnl_contact_score", "fnl_contact_explain",
                      "fnl_report_", "fnl_roi_", "fnl_spend_",
                      "fnl_deal_report_", "fnl_cohort_", "fnl_survival_",
                      "fnl_time_to_convert_", "fnl_budget_", "fnl_fx_",
                      "fnl_currency_", "fnl_host_event_name",
                      "fnl_machine_", "fnl_engine_attach_machine",
                      "fnl_contact_event", "fnl_engine_tick",
                      "fnl_contact_stage", "fnl_stage_", "fnl_rejection_",
                      "fnl_engine_stage_counts")

missing: List[str] = []
for _name, (_res, _args) in _PROTOTYPES.items():
    try:
        _fn = getattr(lib, _name)
    except AttributeError:
        if _name.startswith(_OPTIONAL_PREFIXES):
            missing.append(_name)
            continue
        raise ImportError(f"funnelcore: {path} lacks {_name}; the library "
                          "is older than these bindings") from None
    _fn.restype = _res
    _fn.argtypes = _args
    globals()[_name] = _fn


def has(name: str) -> bool:
    """Whether the loaded library exports `name`."""
    return name in _PROTOTYPES and name not in missing


version: str = lib.fnl_version().decode()
version_number: int = lib.fnl_version_number()
if version_number // 10000 != LIB_MAJOR:
    raise ImportError(f"funnelcore: {path} is version {version}; these "
                      f"bindings need major version {LIB_MAJOR}")


def init(cls, fn_name: Optional[str] = None):
    """A new size-first struct, reset through its *_init() function when
    the library has one (so defaults come from the library), else zeroed
    with only `size` set."""
    obj = cls()
    if fn_name is not None:
        rc = globals()[fn_name](ctypes.byref(obj), ctypes.sizeof(cls))
        if rc != 0:
            raise RuntimeError(f"{fn_name} failed: {rc}")
    else:
        obj.size = ctypes.sizeof(cls)
    return obj
