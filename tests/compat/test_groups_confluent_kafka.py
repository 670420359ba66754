"""Consumer groups with confluent-kafka 1.7.0 (librdkafka 2.0.2) against a real `tarn serve`:
the scenario of group_scenario.py (three members in their own processes, a SIGKILLed member's
partitions moving to the others, nothing lost, resumption at the committed offsets, commits
surviving a SIGKILL of the broker).

Run: /usr/bin/python3 tests/compat/test_groups_confluent_kafka.py --tarn build/release/src/app/tarn
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tarn_server  # noqa: E402
from group_scenario import GroupScenario  # noqa: E402
from tarn_server import ServerTestCase  # noqa: E402


class ConfluentKafkaGroupTest(GroupScenario, ServerTestCase):
    CLIENT = "confluent"


if __name__ == "__main__":
    tarn_server.main()
