"""A simulated community of tokens and Bluezone phones, in virtual time.

Scenario (scenario.py) -> movement (mobility.py) -> radio (air.py, schedule.py) -> the firmware's own
`bzfw.adv.parse` -> `bzfw.encounters.Aggregator` -> `bzfw.logstore.LogStore` per token (engine.py), with the
true close contacts computed from positions (truth.py). pipeline.py then pulls every token over the sync
protocol, exports a positive wearer's keys, matches and scores detection against the truth.
"""
