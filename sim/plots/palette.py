"""The colours of every figure and table, fixed by data (no plotting library imported here, so
that writing a run folder's manifest does not load matplotlib)."""

from __future__ import annotations

# Okabe & Ito (2008), the standard colour-blind-safe qualitative palette (black last).
OKABE_ITO: tuple[str, ...] = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
)
# Paul Tol's "bright" scheme, then the darker half of "muted" for scenarios with many key dyads.
DYAD_PALETTE: tuple[str, ...] = (
    "#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377",
    "#332288", "#882255", "#44AA99", "#999933",
)
# Tol's BuRd diverging colours: blue = cooperation, red = conflict, darker = material.
QUAD_CLASSES: dict[int, tuple[str, str]] = {
    1: ("Verbal cooperation", "#92C5DE"),
    2: ("Material cooperation", "#2166AC"),
    3: ("Verbal conflict", "#F4A582"),
    4: ("Material conflict", "#B2182B"),
}
# Kaplan-Meier curves: colour and line style both differ, so the figure survives greyscale print.
DEAL_KINDS: dict[bool, tuple[str, str, str]] = {
    True: ("Victim-inclusive", "#117733", "-"),
    False: ("Government-only", "#CC6677", "--"),
}
