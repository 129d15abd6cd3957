#!/bin/bash
# CitusHa watchdog. A separate process, so that it keeps running when the agent is frozen (SIGSTOP,
# a stuck runtime) or killed. The agent feeds it on stdin, one line at a time:
#   arm <milliseconds> <postmaster pid>   fence that postmaster unless fed again within <milliseconds>
#   disarm                                this member is not a primary: nothing to fence
# Fencing = SIGKILL to the postmaster and its children, only if the PID still belongs to the process
# that was armed (same start time), so a reused PID is never touched. On end of input (agent gone) an
# armed watchdog still fences at its deadline, then exits; a disarmed one exits at once.
set -u
armed=0 pid="" ticks="" deadline=0

# Deadlines on CLOCK_BOOTTIME (/proc/uptime, the agent's clock too): a wall-clock step must not move
# them, and time spent suspended counts. Read with a builtin, no fork; 10 ms resolution.
now_ms() {
  local up rest
  if read -r up rest 2>/dev/null < /proc/uptime; then echo $(( 10#${up/./} * 10 )); return; fi
  local t=${EPOCHREALTIME/./}; echo $(( 10#$t / 1000 ))
}

# No forks below: under load a fork costs milliseconds, and fencing walks every process. (It used
# $(cat) per /proc entry: 2.5 s for 100 processes on a busy 2-core machine, past the safety margin.)
start_ticks() {   # field 22 of /proc/<pid>/stat; the name in field 2 may hold spaces, so cut after ')'
  local stat
  read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
  set -- ${stat##*) }
  echo "${20}"
}

children_of() {
  local f stat
  for f in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null < "$f" || continue
    set -- ${stat##*) }
    [ "$2" = "$pid" ] && echo "${f//[^0-9]/}"
  done
}

fence() {
  armed=0
  if [ -z "$pid" ] || [ "$(start_ticks "$pid")" != "$ticks" ]; then
    echo "citusha watchdog: deadline passed, but postmaster ${pid:-?} is gone or its PID was reused: nothing to fence" >&2
    return 0
  fi
  local kids
  # Stopped first, the postmaster cannot fork a backend that the walk below would miss; its backends
  # (which keep serving after the postmaster dies) are killed with it.
  kill -STOP "$pid" 2>/dev/null
  kids=$(children_of)
  kill -KILL "$pid" 2>/dev/null
  [ -n "$kids" ] && kill -KILL $kids 2>/dev/null
  echo "citusha watchdog: the agent was silent past its deadline; killed postmaster $pid and its children" >&2
}

seconds() { printf '%d.%03d' $(( $1 / 1000 )) $(( $1 % 1000 )); }

while true; do
  if [ "$armed" = 1 ]; then
    left=$(( deadline - $(now_ms) ))
    if [ "$left" -le 0 ]; then fence; continue; fi
    read -r -t "$(seconds "$left")" command a b
    rc=$?
    if [ "$rc" -gt 128 ]; then continue; fi            # timed out: the loop fences
    if [ "$rc" -ne 0 ]; then                           # end of input: the agent is gone
      left=$(( deadline - $(now_ms) ))
      [ "$left" -gt 0 ] && sleep "$(seconds "$left")"
      fence
      exit 0
    fi
  else
    read -r command a b || exit 0
  fi
  case "$command" in
    arm)
      if [ "$b" != "$pid" ]; then pid=$b; ticks=$(start_ticks "$pid") || { pid=""; armed=0; continue; }; fi
      deadline=$(( $(now_ms) + a )); armed=1 ;;
    disarm) armed=0 ;;
  esac
done
