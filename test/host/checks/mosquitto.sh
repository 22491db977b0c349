# shellcheck shell=bash disable=SC2034
# Functional check of the 'mosquitto' corpus service; lib/common.sh is prepended when it runs.
CHECK=mosquitto
topic="hush/check/$$"
msg="m-$RANDOM-$RANDOM"
# roundtrip HOST: a subscriber waits for one message that a publisher sends (new connections each time)
roundtrip() {
  local out
  out=$(mosquitto_sub -h "$1" -t "$topic" -C 1 -W 10 2>/dev/null & sleep 1; mosquitto_pub -h "$1" -t "$topic" -m "$msg" 2>/dev/null; wait)
  [ "$out" = "$msg" ]
}
expect "mosquitto.service is active" retry "$WAIT" active mosquitto.service
expect "publish/subscribe over 127.0.0.1:1883" retry "$WAIT" roundtrip 127.0.0.1
expect "publish/subscribe over [::1]:1883" retry 10 roundtrip ::1
expect "a retained message is stored" mosquitto_pub -h 127.0.0.1 -t "hush/retained" -r -m "$msg"
pid=$(systemctl show -p MainPID --value mosquitto.service)
expect "systemctl reload (HUP) succeeds" systemctl reload mosquitto.service
expect "the same broker process runs after the reload" equals "$(systemctl show -p MainPID --value mosquitto.service)" "$pid"
retained() { mosquitto_sub -h 127.0.0.1 -t hush/retained -C 1 -W 5 2>/dev/null; }
expect "clients reconnect after the reload and get the retained message" retry "$WAIT" yields "$msg" retained
expect "the broker logs to /var/log/mosquitto" test -s /var/log/mosquitto/mosquitto.log
finish
