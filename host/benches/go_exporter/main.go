// A hand-written Go exporter of what the inventory and silos example probes measure: the
// exporter a team writes without probe-host (net/http, the API's types decoded with
// encoding/json, client_golang), which the benchmark runs beside probe-host and the native
// Rust stand-in (docs/performance.md, "Against a hand-written exporter"). It has the same
// command line and output as host/examples/native_exporter.rs, so the bench measures both
// the same way.
//
// Every INTERVAL_MS it collects (every page of important potatoes, counted page by page;
// every farm's silos), encodes the text a scrape gets, and prints one line per collection;
// it stops after CYCLES collections.
//
// Built by the bench from Debian's packages (golang-go, golang-github-prometheus-client-golang-dev),
// without modules:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o go_exporter host/benches/go_exporter/main.go
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// The API's types, as a generated or hand-written client declares them (every field, dates
// parsed).
type Potato struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Variety     string     `json:"variety"`
	WeightGrams int32      `json:"weight_grams"`
	Status      string     `json:"status"`
	FarmID      string     `json:"farm_id"`
	HarvestedAt *time.Time `json:"harvested_at"`
	Tags        []string   `json:"tags"`
}

type PotatoPage struct {
	Items         []Potato `json:"items"`
	NextPageToken *string  `json:"next_page_token"`
}

type Farm struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Region string `json:"region"`
	Active bool   `json:"active"`
}

type Silo struct {
	ID                 string     `json:"id"`
	FarmID             string     `json:"farm_id"`
	CapacityKg         float64    `json:"capacity_kg"`
	StoredKg           float64    `json:"stored_kg"`
	TemperatureCelsius float64    `json:"temperature_celsius"`
	HumidityPercent    float64    `json:"humidity_percent"`
	LastInspectedAt    *time.Time `json:"last_inspected_at"`
}

type api struct {
	client *http.Client
	base   string
	token  string
}

func (a *api) get(path string, query url.Values, out interface{}) error {
	u := a.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// One collection: both probes' families, encoded as a scrape would get them.
func collect(a *api) ([]byte, error) {
	registry := prometheus.NewRegistry()
	byStatus := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "potato_inventory_potatoes", Help: "Important potatoes by status and variety.",
	}, []string{"status", "variety"})
	harvested := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "potato_inventory_harvested_total", Help: "Important potatoes harvested so far, by variety.",
	}, []string{"variety"})
	weight := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "potato_inventory_weight_grams", Help: "Weight of the important potatoes.",
		Buckets: []float64{100, 200, 300, 400, 500, 750},
	})
	token := ""
	for {
		var page PotatoPage
		q := url.Values{"limit": {"1000"}, "page_token": {token}}
		if err := a.get("/important-potatoes", q, &page); err != nil {
			return nil, err
		}
		for i := range page.Items {
			p := &page.Items[i]
			byStatus.WithLabelValues(p.Status, p.Variety).Inc()
			if p.HarvestedAt != nil {
				harvested.WithLabelValues(p.Variety).Inc()
			}
			weight.Observe(float64(p.WeightGrams))
		}
		if page.NextPageToken == nil || *page.NextPageToken == "" {
			break
		}
		token = *page.NextPageToken
	}
	registry.MustRegister(byStatus, harvested, weight)

	active := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "potato_farm_active", Help: "1 if the farm is active, else 0.",
	}, []string{"farm", "region"})
	fill := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "potato_silo_fill_ratio", Help: "Stored weight over capacity.",
	}, []string{"farm", "silo"})
	temperature := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "potato_silo_temperature_celsius", Help: "Temperature inside the silo.",
	}, []string{"farm", "silo"})
	humidity := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "potato_silo_humidity_percent", Help: "Relative humidity inside the silo.",
	}, []string{"farm", "silo"})
	var farms []Farm
	if err := a.get("/farms", nil, &farms); err != nil {
		return nil, err
	}
	for _, farm := range farms {
		v := 0.0
		if farm.Active {
			v = 1
		}
		active.WithLabelValues(farm.ID, farm.Region).Set(v)
		var silos []Silo
		if err := a.get("/farms/"+url.PathEscape(farm.ID)+"/silos", nil, &silos); err != nil {
			return nil, err
		}
		for _, silo := range silos {
			if silo.CapacityKg > 0 {
				fill.WithLabelValues(farm.ID, silo.ID).Set(silo.StoredKg / silo.CapacityKg)
			}
			temperature.WithLabelValues(farm.ID, silo.ID).Set(silo.TemperatureCelsius)
			humidity.WithLabelValues(farm.ID, silo.ID).Set(silo.HumidityPercent)
		}
	}
	registry.MustRegister(active, fill, temperature, humidity)

	families, err := registry.Gather()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	encoder := expfmt.NewEncoder(&out, expfmt.FmtText)
	for _, f := range families {
		if err := encoder.Encode(f); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: go_exporter BASE_URL TOKEN INTERVAL_MS CYCLES")
		os.Exit(2)
	}
	interval, err1 := strconv.Atoi(os.Args[3])
	cycles, err2 := strconv.Atoi(os.Args[4])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "INTERVAL_MS and CYCLES must be integers")
		os.Exit(2)
	}
	a := &api{client: &http.Client{Timeout: 30 * time.Second}, base: strings.TrimRight(os.Args[1], "/"), token: os.Args[2]}
	ticker := time.NewTicker(time.Duration(interval) * time.Millisecond)
	defer ticker.Stop()
	for cycle := 1; cycle <= cycles; cycle++ {
		if cycle > 1 {
			<-ticker.C
		}
		text, err := collect(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("cycle %d: %d bytes\n", cycle, len(text))
	}
}
