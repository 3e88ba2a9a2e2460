-- A station database as round 1 left it (registry, pulled logs, station tables; passphrase: tests/station_helpers.PW),
-- dumped with sqlite3 iterdump after a sync, a list import and a login. The migration test loads it.
BEGIN TRANSACTION;
CREATE TABLE encounters (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, day INTEGER NOT NULL, file_offset INTEGER NOT NULL,
  contact_id BLOB NOT NULL, kind INTEGER NOT NULL, slot INTEGER NOT NULL,
  first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  raw_first_seen_ms INTEGER NOT NULL, raw_last_seen_ms INTEGER NOT NULL,
  correction_ms INTEGER NOT NULL, count INTEGER NOT NULL,
  rssi_min INTEGER NOT NULL, rssi_max INTEGER NOT NULL, rssi_mean INTEGER NOT NULL, pull_id INTEGER NOT NULL,
  UNIQUE(token_id, day, file_offset));
INSERT INTO "encounters" VALUES(1,'BZ-TEST-0001',20791,0,X'6136AF92EFEE0C5FEC93A2B3',1,76,1796410830000,1796411430000,1796410830000,1796411430000,0,40,-70,-50,-58,1);
INSERT INTO "encounters" VALUES(2,'BZ-TEST-0001',20791,24,X'300030003000300030003000',1,76,1796410830000,1796410890000,1796410830000,1796410890000,0,3,-90,-80,-85,1);
INSERT INTO "encounters" VALUES(3,'BZ-TEST-0001',20791,48,X'310031003100310031003100',1,76,1796410830000,1796410890000,1796410830000,1796410890000,0,3,-90,-80,-85,1);
INSERT INTO "encounters" VALUES(4,'BZ-TEST-0001',20791,72,X'320032003200320032003200',1,76,1796410830000,1796410890000,1796410830000,1796410890000,0,3,-90,-80,-85,1);
INSERT INTO "encounters" VALUES(5,'BZ-TEST-0001',20791,96,X'330033003300330033003300',1,76,1796410830000,1796410890000,1796410830000,1796410890000,0,3,-90,-80,-85,1);
INSERT INTO "encounters" VALUES(6,'BZ-TEST-0001',20791,120,X'340034003400340034003400',1,76,1796410830000,1796410890000,1796410830000,1796410890000,0,3,-90,-80,-85,1);
CREATE TABLE pulls (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, sync_id INTEGER,
  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,
  status TEXT NOT NULL,            -- complete | interrupted (what was read is kept; a rerun resumes)
  records INTEGER NOT NULL, new_rows INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  bad_records INTEGER NOT NULL, bytes INTEGER NOT NULL,
  correction_min_ms INTEGER, correction_max_ms INTEGER, fw TEXT, battery_mv INTEGER
);
INSERT INTO "pulls" VALUES(1,'BZ-TEST-0001',1,1796418730631,1796418730636,'complete',6,6,0,0,144,0,0,'0.1.0',3900);
CREATE TABLE registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "registry_meta" VALUES('kdf','{"salt": "0869a6b597a17c18bf589c63ccca5edb", "n": 1024, "r": 8, "p": 1}');
INSERT INTO "registry_meta" VALUES('check','d596e902a580fc824d36f28d9af5d734a553daa621f1f76b5c4f18bc7d724b5deaa64dd0feea7dc246966b2193183af736702c7ec512');
CREATE TABLE secrets (
  token_id TEXT PRIMARY KEY REFERENCES tokens(token_id),
  sealed BLOB NOT NULL,            -- nonce || AES-256-GCM(secret), token_id as associated data
  created_ms INTEGER NOT NULL);
INSERT INTO "secrets" VALUES('BZ-TEST-0001',X'9858E8D4C94DB323F53A93F785FD262D2D2C5CC7B4412BD96DB6552AF0C4B2BEB6B8E8EB848CBC3D5F9B50A0D315AE97F8469DD16C78C1F1200312DE',1796418730577);
INSERT INTO "secrets" VALUES('BZ-TEST-0002',X'6C0841ACB05FC0D12DDF67DB2973D51C02C24CB4713C7C456DD846B09A7AC5E18D9768FCC5F02ED6692B7274F7EF0E36C13506AA5FE6F38B951F3B76',1796418730583);
CREATE TABLE station_audit (
  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,
  who TEXT NOT NULL,               -- the operator who logged in, or 'station' for automatic work
  action TEXT NOT NULL, target TEXT, detail TEXT);
INSERT INTO "station_audit" VALUES(1,1796418730607,'station','token_plugged','/dev/pts/0',NULL);
INSERT INTO "station_audit" VALUES(2,1796418730639,'station','sync','BZ-TEST-0001','{"bad_records": 0, "clock_offset_ms": 0, "clock_residual_ms": 0, "days": 1, "duplicates": 0, "elapsed_s": 0.005, "new_rows": 6, "port": "/dev/pts/0", "records": 6}');
INSERT INTO "station_audit" VALUES(3,1796418730726,'Chị Lan','list_import','f0.json','{"entries": 1}');
INSERT INTO "station_audit" VALUES(4,1796418730750,'Chị Lan','login',NULL,'{"ip": "127.0.0.1"}');
CREATE TABLE station_lists (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL,
  imported_ms INTEGER NOT NULL, entries INTEGER NOT NULL, who TEXT NOT NULL);
INSERT INTO "station_lists" VALUES(1,'f0.json','/tmp/i16r1/station/exposure-lists/20261204-211210-f0.json','a2ba7e5ec26d42cfe70d013f39112ca32ae246ecddd642f55264ae2724813de3',1796418730722,1,'Chị Lan');
CREATE TABLE station_matches (
  id INTEGER PRIMARY KEY, computed_ms INTEGER NOT NULL, token_id TEXT NOT NULL, wearer_id INTEGER,
  risk TEXT NOT NULL, proximity TEXT NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, rssi_mean INTEGER, list_name TEXT NOT NULL);
INSERT INTO "station_matches" VALUES(1,1796418730748,'BZ-TEST-0001',1,'medium','near',1796410830000,1796411430000,600000,-58,'f0.json');
CREATE TABLE station_reassignments (   -- so a match is shown for the wearer of that time
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL, from_wearer_id INTEGER, to_wearer_id INTEGER NOT NULL,
  at_ms INTEGER NOT NULL);
CREATE TABLE station_tokens (
  token_id TEXT PRIMARY KEY, seen_ms INTEGER NOT NULL, synced_ms INTEGER,
  status TEXT NOT NULL,            -- JSON: the token's own status answer (no secret in it)
  clock_offset_ms INTEGER,         -- token minus station found at the last sync, before setting it
  last_error TEXT);
INSERT INTO "station_tokens" VALUES('BZ-TEST-0001',1796418730638,1796418730638,'{"auth_failures": 0, "battery_mv": 3900, "clock_set": true, "config_error": null, "days": 1, "free_bytes": 8388464, "fw": "0.1.0", "line_errors": 0, "log_bytes": 144, "log_stats": {"dropped_full_days": 0, "dropped_records": 0, "expired_records": 0, "meta_lost": 0, "purged_days": 0, "torn_skipped": 0}, "now_ms": 1796418730625, "profile": "always-on", "proto": 1, "provisioned": true, "token_id": "BZ-TEST-0001", "unconfirmed_bytes": 144}',0,NULL);
CREATE TABLE syncs (
  id INTEGER PRIMARY KEY, token_id TEXT NOT NULL,
  host_ms INTEGER NOT NULL,        -- station clock at the measurement
  offset_ms INTEGER NOT NULL,      -- token clock minus station clock, before setting it
  rtt_ms INTEGER NOT NULL,         -- round trip of the measurement (its uncertainty is half of it)
  residual_ms INTEGER,             -- token minus station right after setting it (NULL: not set)
  clock_valid INTEGER NOT NULL     -- 0: the token had lost its time (power loss), no drift to learn
);
INSERT INTO "syncs" VALUES(1,'BZ-TEST-0001',1796418730633,0,0,0,1);
CREATE TABLE tokens (
  token_id TEXT PRIMARY KEY,
  wearer_id INTEGER REFERENCES wearers(id),
  board TEXT, profile TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'provisioned', 'retired')),
  created_ms INTEGER NOT NULL, provisioned_ms INTEGER, fw TEXT);
INSERT INTO "tokens" VALUES('BZ-TEST-0001',1,NULL,'always-on','provisioned',1796418730577,1796418730578,NULL);
INSERT INTO "tokens" VALUES('BZ-TEST-0002',2,NULL,'always-on','provisioned',1796418730583,1796418730584,NULL);
CREATE TABLE wearers (
  id INTEGER PRIMARY KEY,
  ref TEXT NOT NULL UNIQUE,        -- the station's own key for a person (list number, ID card); default: name
  name TEXT NOT NULL, phone TEXT, note TEXT,
  created_ms INTEGER NOT NULL);
INSERT INTO "wearers" VALUES(1,'W-1','Nguyễn Văn An','0912 345 678',NULL,1796418730576);
INSERT INTO "wearers" VALUES(2,'W-2','Trần Thị Bình','0912 345 678',NULL,1796418730582);
CREATE INDEX tokens_wearer ON tokens(wearer_id);
CREATE INDEX encounters_contact ON encounters(contact_id);
CREATE INDEX syncs_token ON syncs(token_id, host_ms);
COMMIT;
