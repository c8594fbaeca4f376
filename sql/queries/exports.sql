-- The admin's CSV exports (sql/repeatable/exports.sql): every column a field of the file, in
-- the order the procedure answers them; read through a server-side cursor.

-- name: reservations
SELECT * FROM parkshare.export_reservations(%(start)s, %(end)s)

-- name: ledger
SELECT * FROM parkshare.export_ledger(%(start)s, %(end)s)

-- name: utilization
SELECT * FROM parkshare.export_utilization(%(start)s, %(end)s)
