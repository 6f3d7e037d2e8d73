"""rig.kafka() from Python against a real rigd and broker, with Confluent's own Python
clients (confluent-kafka: librdkafka, its schema registry client and Avro serdes): the
spec's Avro schema is in rig's registry, the serializer finds it, a record goes through
the observing Kafka proxy both ways, and the proxy decoded the Avro value with it."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import rig

ORDER = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "int"}, {"name": "item", "type": "string"}]}


@pytest.mark.usefixtures("need_rigd")
def test_confluent_clients_use_rigs_broker_registry_and_proxy() -> None:
    with rig.up({"bus": rig.kafka().topic("orders", partitions=2).avro_schema("orders-value", ORDER)}) as env:
        bus = env.endpoint("bus")
        prefix = bus.attributes["KAFKA_TOPIC_PREFIX"]
        topic = f"{prefix}orders"
        registry = SchemaRegistryClient({"url": bus.attributes["SCHEMA_REGISTRY_URL"]})
        registered = registry.get_latest_version(f"{topic}-value")
        assert registered.version == 1

        # Topic-name strategy: the serializer looks up `<topic>-value`, which the spec registered.
        serializer = AvroSerializer(registry, json.dumps(ORDER), conf={"auto.register.schemas": False, "use.latest.version": True})
        producer = Producer({"bootstrap.servers": bus.attributes["KAFKA_BROKERS"]})
        producer.produce(topic, key="o-1", value=serializer({"id": 1, "item": "plum"}, SerializationContext(topic, MessageField.VALUE)))
        assert producer.flush(30) == 0

        consumer = Consumer({"bootstrap.servers": bus.attributes["KAFKA_BROKERS"], "group.id": f"{prefix}py", "auto.offset.reset": "earliest"})
        consumer.subscribe([topic])
        deserializer = AvroDeserializer(registry)
        got = None
        deadline = time.monotonic() + 60
        while got is None and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                got = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
        consumer.close()
        assert got == {"id": 1, "item": "plum"}

        # Events stream in on the session's thread: allow them a moment.
        records = []
        for _ in range(100):
            produced = [e.kafka_produced for e in env.events() if e.WhichOneof("payload") == "kafka_produced"]
            records = [r for p in produced for r in p.records if r.key_text == "o-1"]
            if records:
                break
            time.sleep(0.05)
        assert records, f"no kafka.produced with key o-1 in {env.events()}"
        assert records[0].value_format == "avro"
        assert records[0].schema_id == registered.schema_id
        assert json.loads(records[0].value_json) == {"id": 1, "item": "plum"}
