-- What the functions read and call beyond the write procedures of 0003.

GRANT EXECUTE ON FUNCTION parkshare.ps_reservation_json(parkshare.reservations),
    parkshare.ps_spot_json(parkshare.spots) TO parkshare_app;
