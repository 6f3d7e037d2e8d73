package rig

import (
	rigv1 "github.com/rig-dev/rig/clients/go/gen/rig/v1"
)

// S3Service is a bucket of its own on rigd's pooled S3-compatible server (moto's),
// emptied and removed at teardown. Its ingress publishes AWS_ENDPOINT_URL, AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_BUCKET; address it path-style
// (UsePathStyle in the AWS SDK for Go).
type S3Service struct {
	serviceBase[*S3Service]
	region string
}

// S3 declares a bucket.
func S3() *S3Service {
	s := &S3Service{}
	s.self = s
	return s
}

// Region sets the bucket's region (default us-east-1).
func (s *S3Service) Region(region string) *S3Service {
	s.region = region
	return s
}

func (s *S3Service) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	m, err := s.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	m.Config = &rigv1.Service_S3{S3: &rigv1.S3Config{Region: s.region}}
	return m, nil
}

// SQSService is a queue of its own on rigd's pooled SQS-compatible server, deleted at
// teardown. Its ingress publishes AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, SQS_QUEUE_URL and SQS_QUEUE_NAME.
type SQSService struct {
	serviceBase[*SQSService]
	region string
	fifo   bool
}

// SQS declares a queue.
func SQS() *SQSService {
	s := &SQSService{}
	s.self = s
	return s
}

// Region sets the queue's region (default us-east-1).
func (s *SQSService) Region(region string) *SQSService {
	s.region = region
	return s
}

// FIFO makes it a FIFO queue (its name ends in .fifo).
func (s *SQSService) FIFO() *SQSService {
	s.fifo = true
	return s
}

func (s *SQSService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	m, err := s.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	m.Config = &rigv1.Service_Sqs{Sqs: &rigv1.SqsConfig{Region: s.region, Fifo: s.fifo}}
	return m, nil
}

// TemporalService is a namespace of its own on rigd's pooled Temporal dev server (the
// Temporal CLI's `server start-dev`), deleted at teardown. Its gRPC ingress publishes
// TEMPORAL_ADDRESS (host:port) and TEMPORAL_NAMESPACE.
type TemporalService struct {
	serviceBase[*TemporalService]
	version string
}

// Temporal declares a Temporal namespace.
func Temporal() *TemporalService {
	s := &TemporalService{}
	s.self = s
	return s
}

// Version sets the Temporal CLI version whose dev server runs ("v1.5.1"); default:
// rigd's pinned one.
func (s *TemporalService) Version(version string) *TemporalService {
	s.version = version
	return s
}

func (s *TemporalService) toProto(name string, handlers *handlerRegistry) (*rigv1.Service, error) {
	m, err := s.baseProto(name, handlers)
	if err != nil {
		return nil, err
	}
	m.Config = &rigv1.Service_Temporal{Temporal: &rigv1.TemporalConfig{Version: s.version}}
	return m, nil
}
