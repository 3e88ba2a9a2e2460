"""The air between devices: log-distance path loss, shadowing, fading, walls, sensitivity, lost adverts.

    RSSI = RSSI@1m(sender) - 10 n log10(d / 1 m) - wall + shadow(pair, minute) + fading(sample)

`shadow` is shared by both directions of a pair and redrawn every `shadow_s` (bodies and orientation
change slowly); `fading` is drawn per sample and direction. A sample below the receiver's sensitivity
is not received; above it, each advert sent while the receiver listens gets through with
probability 1 - loss, so a step with n adverts sent is heard with probability 1 - loss^n.
"""

import numpy as np

MIN_DISTANCE_M = 0.3  # closer than this the model (far field) means nothing


def path_loss_db(d: np.ndarray, n: float) -> np.ndarray:
    return 10.0 * n * np.log10(np.maximum(d, MIN_DISTANCE_M))


def mean_rssi(tx_1m: np.ndarray, d: np.ndarray, other_place: np.ndarray, air: dict) -> np.ndarray:
    """Mean RSSI at each receiver. tx_1m broadcasts over the sender axis; d and other_place alike."""
    return tx_1m - path_loss_db(d, air["path_loss_exp"]) - air["wall_db"] * other_place


def heard(rssi: np.ndarray, n_adverts: np.ndarray, air: dict, u: np.ndarray) -> np.ndarray:
    """Whether at least one of n_adverts adverts at sample RSSI `rssi` got through (u: uniforms)."""
    p = np.where(rssi >= air["sensitivity_dbm"], 1.0 - np.power(air["loss"], n_adverts), 0.0)
    return u < p


def range_m(tx_1m: float, air: dict) -> float:
    """Distance at which the mean RSSI falls to the sensitivity (same room, no shadowing)."""
    return float(10 ** ((tx_1m - air["sensitivity_dbm"]) / (10 * air["path_loss_exp"])))


# --- the honest radio: bodies, multipath, per-unit spread (figures and sources: scenarios/README.md, "Physics")


def rician_db(k_db, shape, rng: np.random.Generator) -> np.ndarray:
    """Per-sample multipath fading (dB, mean power 0 dB) with Rician K factor k_db (broadcast over shape):
    a dominant path of power K/(K+1) plus scattered power 1/(K+1); K -> 0 is Rayleigh fading."""
    k = 10.0 ** (np.asarray(k_db, dtype=float) / 10.0)
    los = np.sqrt(k / (k + 1.0))
    s = np.sqrt(0.5 / (k + 1.0))
    re = los + s * rng.standard_normal(shape)
    im = s * rng.standard_normal(shape)
    return 10.0 * np.log10(np.maximum(re * re + im * im, 1e-12))


def body_loss_db(base, back, facing, toward) -> np.ndarray:
    """What a wearer's body costs toward a peer: base + back * (1 - cos(toward - facing)) / 2, where
    `toward` is the direction from the wearer to the peer and `facing` the wearer's (radians)."""
    return base + back * (1.0 - np.cos(toward - facing)) * 0.5


def max_range_m(tx_max: float, sens_min: float, exp_min: float, margin_db: float) -> float:
    """Beyond this distance no sample can reach the most sensitive receiver: the strongest sender's mean RSSI
    with `margin_db` of luck (spread, shadowing, fading all favourable) under the lowest path loss exponent."""
    return float(10 ** ((tx_max + margin_db - sens_min) / (10 * exp_min)))
