package generator

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scenario is a set of senders that run together.
type Scenario struct {
	Name     string        `yaml:"name"`
	Duration time.Duration `yaml:"duration"` // 0: until every sender is done
	Senders  []Sender      `yaml:"senders"`
}

// The lab's payloads, byte for byte as its KDG templates.
const (
	ClickTemplate      = `{"browseraction":"Click", "site": "yourwebsiteurl.domain.com"}`
	ImpressionTemplate = `{"browseraction":"Impression", "site": "yourwebsiteurl.domain.com"}`
)

// Lab schedule: the forest (subSampleSize 12) scores from its 13th window,
// so the first burst comes after three minutes; bursts repeat every
// LabBurstEvery; the story ends a minute after the third.
const (
	LabFirstBurst = 3 * time.Minute
	LabBurstEvery = 2 * time.Minute
	LabBursts     = 3
	LabBurst      = 20 * time.Second
	LabDuration   = LabFirstBurst + (LabBursts-1)*LabBurstEvery + time.Minute
)

// Lab is the clickstream lab's traffic: Impression and Click at 1 record/s
// all along, and three more Click senders at 1/s for 20 s, every
// LabBurstEvery from LabFirstBurst: each burst makes two 10-second windows
// of four clicks per impression.
func Lab() Scenario {
	s := Scenario{Name: "lab", Duration: LabDuration, Senders: []Sender{
		{Name: "impressions", Template: ImpressionTemplate, Rate: 1},
		{Name: "clicks", Template: ClickTemplate, Rate: 1},
	}}
	for i := range 3 {
		s.Senders = append(s.Senders, Sender{Name: fmt.Sprintf("burst-%d", i+1), Template: ClickTemplate, Rate: 1,
			Start: LabFirstBurst, Duration: LabBurst, Every: LabBurstEvery})
	}
	return s
}

// LoadScenario reads a scenario: "lab" is built in; anything else is a
// YAML file, whose template_file paths are relative to it.
func LoadScenario(name string) (Scenario, error) {
	if name == "lab" {
		return Lab(), nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return Scenario{}, err
	}
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", name, err)
	}
	for i := range s.Senders {
		if f := s.Senders[i].File; f != "" {
			if !filepath.IsAbs(f) {
				f = filepath.Join(filepath.Dir(name), f)
			}
			text, err := os.ReadFile(f)
			if err != nil {
				return Scenario{}, fmt.Errorf("%s: sender %s: %w", name, s.Senders[i].Name, err)
			}
			s.Senders[i].Template = string(text)
		}
	}
	if s.Name == "" {
		s.Name = filepath.Base(name)
	}
	return s, s.Validate()
}

// runLength is how long one run of a sender lasts (its duration, or its
// count at its rate).
func runLength(s Sender) time.Duration {
	if s.Duration > 0 {
		return s.Duration
	}
	if s.Rate > 0 {
		return time.Duration(float64(s.Count) / s.Rate * float64(time.Second))
	}
	return 0
}

// Validate checks what can be checked before anything is sent.
func (s Scenario) Validate() error {
	var errs []error
	if len(s.Senders) == 0 {
		errs = append(errs, errors.New("no senders"))
	}
	names := map[string]bool{}
	for i, snd := range s.Senders {
		name := snd.Name
		if name == "" {
			name = fmt.Sprintf("sender %d", i+1)
		}
		if names[name] {
			errs = append(errs, fmt.Errorf("%s: two senders have that name", name))
		}
		names[name] = true
		switch {
		case snd.Template == "":
			errs = append(errs, fmt.Errorf("%s: no template", name))
		case snd.Rate < 0 || snd.Spread < 0 || snd.Count < 0 || snd.Start < 0 || snd.Duration < 0 || snd.Every < 0:
			errs = append(errs, fmt.Errorf("%s: rate, spread, count, start, duration and every cannot be negative", name))
		case snd.Rate == 0 && snd.Count == 0:
			errs = append(errs, fmt.Errorf("%s: a sender without a rate (as fast as it can) needs a count", name))
		case snd.Every > 0 && snd.Duration == 0 && snd.Count == 0:
			errs = append(errs, fmt.Errorf("%s: a repeating sender needs a duration or a count for each run", name))
		case snd.Every > 0 && runLength(snd) > snd.Every:
			errs = append(errs, fmt.Errorf("%s: a run (%v) is longer than the time between runs (%v)", name, runLength(snd), snd.Every))
		}
	}
	if s.Duration < 0 {
		errs = append(errs, errors.New("duration cannot be negative"))
	}
	return errors.Join(errs...)
}
