"""Times SQLite migration 0025 (money keys) on a copy of a seeded database, first put back into
the state before it: the money twins in plain units of 10^-4 and the range counters of 0023.

    target/debug/clientele --database sqlite://target/m.db seed-demo --tenant bench --count 200000
    python3 scripts/money_migration_time.py target/m.db /tmp/work.db .
"""
import shutil, sqlite3, sys, time
src, work, root = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.copy(src, work)
c = sqlite3.connect(work, isolation_level=None)
n = c.execute("SELECT count(*), count(credit_limit_e4) FROM clients").fetchone()
old = open(root + "/crates/store/migrations/sqlite/0023_range_counts.sql").read()
cols = ["credit_limit_e4", "credit_used_e4", "credit_total_income_e4", "credit_total_debt_payments_e4"]
c.executescript("BEGIN; DROP TRIGGER clients_ranges_insert; DROP TRIGGER clients_ranges_delete;"
  "DROP TRIGGER clients_ranges_update_updated; DROP TRIGGER clients_ranges_update_credit;"
  "DROP TABLE client_ranges; UPDATE clients SET " + ", ".join(f"{x} = {x} + 5000000000000000000" for x in cols) + ";"
  + old + " COMMIT;")
q = "SELECT count(*) FROM clients WHERE credit_limit_e4 >= ?"
mig = open(root + "/crates/store/migrations/sqlite/0025_money_keys.sql").read()
t = time.perf_counter()
c.executescript("BEGIN; " + mig + " COMMIT;")
dt = time.perf_counter() - t
print(f"clients {n[0]}, with a credit limit {n[1]}: migration 0025 took {dt:.2f} s (sqlite {sqlite3.sqlite_version})")
print(c.execute("SELECT count(*), sum(n) FROM client_ranges WHERE field = 'credit_limit_e4'").fetchone())
