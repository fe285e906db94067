{{- define "reko.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "reko.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "reko.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "reko.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "reko.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "reko.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one role: (dict "ctx" $ "role" "api"). */}}
{{- define "reko.selectorLabels" -}}
app.kubernetes.io/name: {{ include "reko.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "reko.secretName" -}}
{{- default (printf "%s-credentials" (include "reko.fullname" .)) .Values.secret.existingSecret }}
{{- end }}

{{- define "reko.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The API's replica floor: the campaigns' minProvisionedTPS summed, divided by one replica's
measured capacity, rounded up; never under api.minReplicas.
*/}}
{{- define "reko.apiMinReplicas" -}}
{{- $capacity := float64 .Values.autoscaling.perReplicaRequestsPerSecond }}
{{- if le $capacity 0.0 }}
{{- fail (printf "autoscaling.perReplicaRequestsPerSecond must be above 0, got %v" .Values.autoscaling.perReplicaRequestsPerSecond) }}
{{- end }}
{{- $tps := 0.0 }}
{{- range .Values.campaigns }}
{{- if or (not (hasKey . "minProvisionedTPS")) (lt (float64 .minProvisionedTPS) 1.0) }}
{{- fail (printf "campaigns: %v needs minProvisionedTPS of at least 1" (.name | default "a campaign")) }}
{{- end }}
{{- $tps = addf $tps .minProvisionedTPS }}
{{- end }}
{{- $needed := divf $tps $capacity | ceil | int }}
{{- max $needed (int .Values.api.minReplicas) }}
{{- end }}

{{/* Environment shared by both roles: the ConfigMap and the credentials. */}}
{{- define "reko.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "reko.fullname" . }}
env:
  - name: REKO_DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "reko.secretName" . }}
        key: database-url
  - name: REKO_ACCESS_KEY_ID
    valueFrom:
      secretKeyRef:
        name: {{ include "reko.secretName" . }}
        key: access-key-id
  - name: REKO_SECRET_ACCESS_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "reko.secretName" . }}
        key: secret-access-key
  - name: REKO_METRICS_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ include "reko.secretName" . }}
        key: metrics-token
        optional: true
  - name: AWS_ACCESS_KEY_ID
    valueFrom:
      secretKeyRef:
        name: {{ include "reko.secretName" . }}
        key: s3-access-key-id
        optional: true
  - name: AWS_SECRET_ACCESS_KEY
    valueFrom:
      secretKeyRef:
        name: {{ include "reko.secretName" . }}
        key: s3-secret-access-key
        optional: true
{{- end }}

{{/* Volumes and mounts: the data directory and /tmp (the root filesystem is read-only). */}}
{{- define "reko.volumes" -}}
volumes:
  - name: data
    {{- if .Values.persistence.existingClaim }}
    persistentVolumeClaim:
      claimName: {{ .Values.persistence.existingClaim }}
    {{- else }}
    emptyDir: {}
    {{- end }}
  - name: tmp
    emptyDir: {}
{{- end }}

{{- define "reko.volumeMounts" -}}
volumeMounts:
  - name: data
    mountPath: /var/lib/reko
  - name: tmp
    mountPath: /tmp
{{- end }}

{{- define "reko.podSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{- define "reko.containerSecurityContext" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end }}

{{/* Probes: /health (the process is up) and /ready (models loaded; 503 once draining). */}}
{{- define "reko.probes" -}}
startupProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 2
  failureThreshold: 150
livenessProbe:
  httpGet:
    path: /health
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /ready
    port: http
  periodSeconds: 2
  timeoutSeconds: 2
  failureThreshold: 1
{{- end }}

{{/* The settings that must be there before anything is rendered. */}}
{{- define "reko.checks" -}}
{{- if and (not .Values.config.artifactStore) (not .Values.persistence.existingClaim) }}
{{- fail "models must be shared by every pod: set config.artifactStore (s3://bucket/prefix) or persistence.existingClaim (a ReadWriteMany claim)" }}
{{- end }}
{{- if and .Values.config.artifactStore (not (hasPrefix "s3://" .Values.config.artifactStore)) }}
{{- fail (printf "config.artifactStore must be an s3://bucket/prefix location (a local folder is not shared between pods), got %s" .Values.config.artifactStore) }}
{{- end }}
{{- if not .Values.secret.existingSecret }}
{{- range $key := list "databaseUrl" "accessKeyId" "secretAccessKey" }}
{{- if not (index $.Values.secret $key) }}
{{- fail (printf "secret.%s is required (or secret.existingSecret naming a Secret that holds it)" $key) }}
{{- end }}
{{- end }}
{{- if not (hasPrefix "postgres" $.Values.secret.databaseUrl) }}
{{- fail "secret.databaseUrl must be a postgres:// or postgresql:// URL: every replica shares one PostgreSQL database" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Prometheus Adapter rule exposing each pod's request rate as autoscaling.metricName. */}}
{{- define "reko.adapterRules" -}}
rules:
  - seriesQuery: 'reko_requests_total{namespace!="",pod!=""}'
    resources:
      overrides:
        namespace: {resource: "namespace"}
        pod: {resource: "pod"}
    name:
      matches: "^reko_requests_total$"
      as: {{ .Values.autoscaling.metricName | quote }}
    metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)'
{{- end }}
