"""Consumer groups with kafka-python 2.0.2 against a real `tarn serve`: the scenario of
group_scenario.py (three members in their own processes, a SIGKILLed member's partitions moving
to the others, nothing lost, resumption at the committed offsets, commits surviving a SIGKILL of
the broker). kafka-python speaks JoinGroup v2, SyncGroup/Heartbeat/LeaveGroup v1, OffsetCommit v2
and OffsetFetch v1.

Run: /usr/bin/python3 tests/compat/test_groups_kafka_python.py --tarn build/release/src/app/tarn
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from group_scenario import GroupScenario  # noqa: E402
from tarn_server import ServerTestCase  # noqa: E402


class KafkaPythonGroupTest(GroupScenario, ServerTestCase):
    CLIENT = "kafka-python"


if __name__ == "__main__":
    tarn_server.main()
