# Helpers of bench/ab_embedded.sh and bench/ab_s3.sh (sourced, not run).
# They expect $bench (kafscale-bench), $port and $metrics_port (the broker's
# Kafka and HTTP listeners on 127.0.0.1), $duration (seconds measured) and
# $broker_pid (the broker under test; empty when none). PARTITIONS (8) sets
# the partitions of the topics produced to.

# Stops the broker under test, if any.
kill_broker() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=
  fi
}

# Produces for $1 seconds to topic $2 ($PARTITIONS partitions, $RATE records/s
# (0: maximum), 1 KiB records); prints records and records/s.
produce() {
  "$bench" --bootstrap "127.0.0.1:$port" --topic "$2" --partitions "${PARTITIONS:-8}" --rate "${RATE:-0}" \
    --duration-s "$1" --json |
    python3 -c 'import json, sys; p = json.load(sys.stdin)["runs"][0]["produce"]; print(p["records"], round(p["records_per_s"]))'
}

# Prints "cpu_ticks minor_faults" of the broker.
broker_counters() { awk '{print $14 + $15, $10}' "/proc/$broker_pid/stat"; }

# Waits for the broker's /readyz, warms up for $1 seconds on topic $2, then
# produces for $duration seconds to topic $3. Sets records, rate, and the
# broker's cpu_ticks and minor_faults during the measured part.
measure_broker() {
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$metrics_port/readyz" >/dev/null && break
    sleep 0.2
  done
  produce "$1" "$2" >/dev/null
  local cpu_before faults_before cpu_after faults_after
  read -r cpu_before faults_before < <(broker_counters)
  read -r records rate < <(produce "$duration" "$3")
  read -r cpu_after faults_after < <(broker_counters)
  cpu_ticks=$((cpu_after - cpu_before))
  minor_faults=$((faults_after - faults_before))
}

# Prints the broker's CPU-seconds per GB of record values of the last
# measure_broker.
cpu_s_per_gb() {
  awk -v ticks="$(getconf CLK_TCK)" -v cpu="$cpu_ticks" -v records="$records" \
    'BEGIN { printf "%.2f", cpu / ticks / (records * 1024 / 1e9) }'
}
