// Package kafkax connects github.com/twmb/franz-go to a rig kafka endpoint: seed brokers
// from its KAFKA_BROKERS, topic and group names under its KAFKA_TOPIC_PREFIX (the
// environment's own namespace on rigd's shared broker). Its own module, so the SDK's
// go.sum does not carry franz-go.
//
//	cl, err := kafkax.Client(ctx, env.Endpoint("bus"), kgo.ConsumeTopics(kafkax.Name(env.Endpoint("bus"), "orders")))
package kafkax

import (
	"context"
	"fmt"
	"strings"

	"github.com/rig-dev/rig/clients/go/rig"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Name is a topic or consumer group name in the endpoint's namespace: KAFKA_TOPIC_PREFIX
// + name (a dedicated cluster has no prefix).
func Name(e rig.Endpoint, name string) string {
	return e.Attributes["KAFKA_TOPIC_PREFIX"] + name
}

// Opts are the franz-go options that reach the endpoint's broker (its seed brokers).
func Opts(e rig.Endpoint) ([]kgo.Opt, error) {
	brokers := e.Attributes["KAFKA_BROKERS"]
	if brokers == "" {
		return nil, fmt.Errorf("rig kafkax: endpoint %s publishes no KAFKA_BROKERS; is it a kafka service?", e.HostPort())
	}
	return []kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}, nil
}

// Client is a franz-go client for the endpoint with `more` options, pinged once so a
// wrong endpoint fails here.
func Client(ctx context.Context, e rig.Endpoint, more ...kgo.Opt) (*kgo.Client, error) {
	opts, err := Opts(e)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(opts, more...)...)
	if err != nil {
		return nil, fmt.Errorf("rig kafkax: %w", err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("rig kafkax: %s: %w", e.HostPort(), err)
	}
	return cl, nil
}
