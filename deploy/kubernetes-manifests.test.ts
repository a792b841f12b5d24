import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { SHUTDOWN_GRACE_MS } from '../gateway/create-server.ts';
import { startTestServer } from '../test/helpers/test-server.ts';

const dir = new URL('./kubernetes/', import.meta.url);
const manifests = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, dir), 'utf8')).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return { file, object: doc.toJS() as Record<string, any> };
    }),
  );
const byKind = (kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object);
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const LABEL = { 'app.kubernetes.io/name': 'verwaltungscloud-catalogue' };

describe('Kubernetes manifests', () => {
  it('lists every manifest in the kustomization', () => {
    const kustomization = parseAllDocuments(
      readFileSync(new URL('kustomization.yaml', dir), 'utf8'),
    )[0]!.toJS();
    expect([...kustomization.resources].sort()).toEqual([...new Set(manifests.map((m) => m.file))].sort());
  });

  it('gives every object an apiVersion, a kind and a name', () => {
    for (const { file, object } of manifests) {
      expect(object.apiVersion, file).toBeTruthy();
      expect(object.kind, file).toBeTruthy();
      expect(object.metadata?.name, file).toBe('catalogue-gateway');
    }
  });

  it("selects the Deployment's pods from the Service, the PodDisruptionBudget and the NetworkPolicy", () => {
    const [deployment] = byKind('Deployment');
    expect(deployment.spec.selector.matchLabels).toEqual(LABEL);
    expect(deployment.spec.template.metadata.labels).toMatchObject(LABEL);
    expect(byKind('Service')[0].spec.selector).toEqual(LABEL);
    expect(byKind('PodDisruptionBudget')[0].spec.selector.matchLabels).toEqual(LABEL);
    expect(byKind('NetworkPolicy')[0].spec.podSelector.matchLabels).toEqual(LABEL);
    expect(byKind('HorizontalPodAutoscaler')[0].spec.scaleTargetRef.name).toBe(deployment.metadata.name);
  });

  it('configures only variables the README documents, in production mode', () => {
    const [configMap] = byKind('ConfigMap');
    const [deployment] = byKind('Deployment');
    const names = [
      ...Object.keys(configMap.data),
      ...deployment.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name),
    ];
    for (const name of names) expect(readme, `README documents ${name}`).toContain(`| \`${name}\``);
    expect(configMap.data.OIDC_ISSUER).toMatch(/^https:\/\//);
  });

  it('probes paths that the real server answers on the port it listens on', async () => {
    const [deployment] = byKind('Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const [configMap] = byKind('ConfigMap');
    expect(container.ports[0].containerPort).toBe(Number(configMap.data.PORT));
    const dockerfile = readFileSync(new URL('./Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile).toContain(`EXPOSE ${configMap.data.PORT}`);
    const server = await startTestServer();
    try {
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
        const response = await fetch(`${server.url}${probe.httpGet.path}`);
        expect(response.status, probe.httpGet.path).toBe(200);
      }
    } finally {
      await server.close();
    }
  });

  it('stops a pod only after it left the endpoints, and inside the grace period', () => {
    // Without a pause before SIGTERM, connections routed to the pod while its endpoint is being removed
    // are refused during every rolling update.
    const [deployment] = byKind('Deployment');
    const pod = deployment.spec.template.spec;
    const [command, seconds] = pod.containers[0].lifecycle.preStop.exec.command;
    expect(command).toBe('sleep');
    expect(Number(seconds)).toBeGreaterThanOrEqual(3);
    // The pause and the gateway's own grace for requests in flight must end before the pod is killed.
    expect(Number(seconds) + SHUTDOWN_GRACE_MS / 1000).toBeLessThan(pod.terminationGracePeriodSeconds);
  });
});
