/** keystonerc_admin / keystonerc_demo (shell exports, as packstack writes them) and clouds.yaml. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly project: string;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function keystonerc(authUrl: string, region: string, c: Credentials): string {
  return [
    'unset OS_SERVICE_TOKEN OS_TOKEN OS_CLOUD',
    `export OS_USERNAME=${shellQuote(c.user)}`,
    `export OS_PASSWORD=${shellQuote(c.password)}`,
    `export OS_REGION_NAME=${shellQuote(region)}`,
    `export OS_AUTH_URL=${shellQuote(authUrl)}`,
    `export OS_PROJECT_NAME=${shellQuote(c.project)}`,
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    'export OS_IDENTITY_API_VERSION=3',
    'export OS_INTERFACE=public',
    `export PS1='[\\u@\\h \\W(keystone_${c.user})]\\$ '`,
    '',
  ].join('\n');
}

function yamlString(value: string): string {
  return JSON.stringify(value);
}

function cloudsYaml(authUrl: string, region: string, clouds: Record<string, Credentials>): string {
  const lines = ['clouds:'];
  for (const [name, c] of Object.entries(clouds)) {
    lines.push(
      `  ${name}:`,
      '    auth:',
      `      auth_url: ${yamlString(authUrl)}`,
      `      username: ${yamlString(c.user)}`,
      `      password: ${yamlString(c.password)}`,
      `      project_name: ${yamlString(c.project)}`,
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      `    region_name: ${yamlString(region)}`,
      '    interface: public',
      '    identity_api_version: 3',
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface RcFiles {
  readonly adminRc: string;
  readonly demoRc: string;
  readonly cloudsYaml: string;
}

export function writeRcFiles(home: string, authUrl: string, region: string, admin: Credentials, demo: Credentials): RcFiles {
  const files: RcFiles = {
    adminRc: join(home, 'keystonerc_admin'),
    demoRc: join(home, 'keystonerc_demo'),
    cloudsYaml: join(home, 'clouds.yaml'),
  };
  // These hold passwords: readable by the owner only.
  writeFileSync(files.adminRc, keystonerc(authUrl, region, admin), { mode: 0o600 });
  writeFileSync(files.demoRc, keystonerc(authUrl, region, demo), { mode: 0o600 });
  writeFileSync(files.cloudsYaml, cloudsYaml(authUrl, region, { 'kumo-admin': admin, 'kumo-demo': demo }), { mode: 0o600 });
  return files;
}
