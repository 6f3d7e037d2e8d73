package rig

import (
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
	"google.golang.org/protobuf/proto"
)

// KafkaService is a topic prefix of its own on the Apache Kafka broker shared by the
// environments of one rigd (or a broker of its own with DedicatedCluster), with a
// Confluent-compatible schema registry. Its endpoint carries KAFKA_BROKERS (bootstrap
// servers), KAFKA_TOPIC_PREFIX and SCHEMA_REGISTRY_URL; every topic and consumer group
// under the prefix is deleted when the environment goes down.
type KafkaService struct {
	serviceBase[*KafkaService]
	config *rigv1.KafkaConfig
}

// Kafka declares a kafka service.
func Kafka() *KafkaService {
	k := &KafkaService{config: &rigv1.KafkaConfig{}}
	k.self = k
	return k
}

// Topic creates KAFKA_TOPIC_PREFIX+name with the given partitions (0 means 1) before
// the service is ready.
func (k *KafkaService) Topic(name string, partitions int32) *KafkaService {
	k.config.Topics = append(k.config.Topics, &rigv1.KafkaTopic{Name: name, Partitions: partitions})
	return k
}

// AvroSchema registers an Avro schema (JSON) under KAFKA_TOPIC_PREFIX+subject (e.g.
// "orders-value") in the environment's schema registry before the service is ready.
func (k *KafkaService) AvroSchema(subject, schema string) *KafkaService {
	k.config.AvroSchemas = append(k.config.AvroSchemas, &rigv1.KafkaAvroSchema{Subject: subject, Schema: schema})
	return k
}

// DedicatedCluster runs a broker of its own for this service (no prefix) instead of a
// prefix on the shared broker; slower to start.
func (k *KafkaService) DedicatedCluster() *KafkaService {
	k.config.DedicatedCluster = true
	return k
}

func (k *KafkaService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	s, err := k.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	s.Config = &rigv1.Service_Kafka{Kafka: proto.Clone(k.config).(*rigv1.KafkaConfig)}
	return s, nil
}
