"""GLSL of the GL renderer: a port of the raster renderer's per-pixel shading (anyscene.render.materials,
markings, weather, parts, lighting, sky, night) that reads the same tables (anyscene.render.gl_tables), so
both renderers draw the same materials, markings, windows, vehicle parts and light. Float arithmetic is
single precision in both; the remaining differences are listed in docs/rendering.md."""
from __future__ import annotations

VERTEX = """
#version 330
invariant gl_Position;  // the depth prepass and the shading pass must agree to the bit
uniform mat4 proj;
uniform mat3 world2cam;
uniform vec3 eye;
in vec3 in_pos;
in vec3 in_nrm;
in uvec2 in_label;
in vec4 in_colour;  // recorded sRGB colour (bound only for meshes with recorded surfaces)
out vec3 v_pos;
out vec3 v_nrm;
out vec3 v_colour;
flat out uvec2 v_label;
void main() {
    v_pos = in_pos; v_nrm = in_nrm; v_label = in_label; v_colour = in_colour.rgb;
    gl_Position = proj * vec4(world2cam * (in_pos - eye), 1.0);
}
"""

SHADOW_VERTEX = """
#version 330
uniform mat4 sun_vp;
uniform vec3 center;
in vec3 in_pos;
void main() { gl_Position = sun_vp * vec4(in_pos - center, 1.0); }
"""
SHADOW_FRAGMENT = "#version 330\nvoid main() {}\n"
DEPTH_FRAGMENT = SHADOW_FRAGMENT  # the depth prepass writes depth only

SKY_VERTEX = """
#version 330
in vec2 in_xy;
void main() { gl_Position = vec4(in_xy, 1.0, 1.0); }
"""

# Light, tone curve, camera effects, hashing and the noise tables: shared by the sky and the surfaces.
COMMON = """
uniform vec3 sun_dir; uniform vec3 sun; uniform vec3 sky_amb; uniform vec3 ground_amb; uniform vec3 haze;
uniform vec3 zenith; uniform vec3 horizon; uniform vec3 cloud; uniform float haze_density; uniform float exposure;
uniform float sky_keep; uniform float night; uniform uint seed;
uniform sampler2D fbm; uniform sampler2D grain;
vec3 tone(vec3 rad) {  // lighting.tone_lut: exposure, extended Reinhard (white 4), sRGB; quantised like the LUT
    vec3 x = floor(clamp(rad, 0.0, 65535.0 / 4096.0) * 4096.0) / 4096.0 * exposure;
    vec3 y = clamp(x * (1.0 + x / 16.0) / (1.0 + x), 0.0, 1.0);
    return mix(12.92 * y, 1.055 * pow(y, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, y));
}
uniform float vig; uniform float read_noise; uniform float shot_noise; uniform float gain_sqrt;
uniform uint frame_key; uniform vec4 intr;  // fx, fy, cx, cy
uint fhash(uint x) { x ^= x >> 16; x *= 0x7feb352du; x ^= x >> 15; x *= 0x846ca68bu; x ^= x >> 16; return x; }
// The camera's vignetting (cos^4, blended by `vig`) and sensor noise (read + shot, scaled by the exposure
// gain) on the 8-bit value, as anyscene.render.camera_fx does on the CPU.
vec3 finish_vig(vec3 srgb, float vignetting) {
    vec3 v = floor(clamp(srgb, 0.0, 1.0) * 255.0 + 0.5);
    vec2 q = (gl_FragCoord.xy - intr.zw) / intr.xy;
    float c2 = 1.0 / (1.0 + dot(q, q));
    v *= 1.0 - vignetting * (1.0 - c2 * c2);
    if (read_noise > 0.0 || shot_noise > 0.0) {
        uint k = fhash(uint(gl_FragCoord.x) * 0x9E3779B9u ^ fhash(uint(gl_FragCoord.y) ^ frame_key));
        vec3 n;
        for (int c = 0; c < 3; c++) {  // the sum of two uniforms (16 bits each of one hash): unit variance
            k = fhash(k + uint(c));
            n[c] = (float(k & 0xFFFFu) + float(k >> 16)) / 65536.0 * 2.4494897 - 2.4494897;
        }
        v += sqrt(read_noise * read_noise + shot_noise * v) * gain_sqrt * n;
    }
    return clamp(v, 0.0, 255.0) / 255.0;
}
vec3 finish(vec3 srgb) { return finish_vig(srgb, vig); }
// materials.hash_u32 / hash01 (murmur3 style), keys as int (wrapping as numpy's astype(uint32) does).
uint mix_key(uint h, int key) {
    uint k = uint(key) * 0xCC9E2D51u; k ^= k >> 15; k *= 0x1B873593u;
    h ^= k; return h * 5u + 0xE6546B64u;
}
uint fin(uint h) { h ^= h >> 16; h *= 0x85EBCA6Bu; h ^= h >> 13; h *= 0xC2B2AE35u; return h ^ (h >> 16); }
uint hash2(int a, int b) { return fin(mix_key(mix_key(seed * 0x9E3779B9u, a), b)); }
uint hash3(int a, int b, int c) { return fin(mix_key(mix_key(mix_key(seed * 0x9E3779B9u, a), b), c)); }
float h01(uint h) { return float(h >> 8) * (1.0 / 16777216.0); }
// materials.NoiseTable.nearest / bilinear on the mip level whose texel matches the footprint (foot <= 0: level 0).
int nlevel(float foot, float texel) {
    if (foot <= 0.0) return 0;
    float r = foot / texel;
    return r < 1.0 ? 0 : min(int(floor(log2(r))), 8);
}
float nnear(sampler2D t, vec2 p, float texel, float foot) {
    int lev = nlevel(foot, texel);
    ivec2 i = ivec2(floor(p * (1.0 / texel))) >> lev;
    int m = (256 >> lev) - 1;
    return texelFetch(t, i & m, lev).r;
}
float nbil(sampler2D t, vec2 p, float texel, float foot) {
    int lev = nlevel(foot, texel);
    vec2 u = p * (1.0 / texel) * exp2(-float(lev)) - 0.5;
    vec2 f = floor(u); u -= f;
    ivec2 i = ivec2(f);
    int m = (256 >> lev) - 1;
    float a0 = texelFetch(t, i & m, lev).r, a1 = texelFetch(t, (i + ivec2(1, 0)) & m, lev).r;
    float b0 = texelFetch(t, (i + ivec2(0, 1)) & m, lev).r, b1 = texelFetch(t, (i + ivec2(1, 1)) & m, lev).r;
    float a = a0 + (a1 - a0) * u.x, b = b0 + (b1 - b0) * u.x;
    return a + (b - a) * u.y;
}
vec3 gradient(float dz) {  // lighting.sky_gradient
    float t = sqrt(clamp(dz, 0.0, 1.0));
    return (horizon + t * (zenith - horizon)) * (1.0 + 1.5 * clamp(dz, -0.4, 0.0));
}
"""

SKY_FRAGMENT = """
#version 330
uniform mat3 pix2dir;
uniform float cloud_cover; uniform float cloud_scale; uniform float sun_disc; uniform float pixel_angle;
""" + COMMON + """
out vec4 frag;
void main() {  // sky.sky_radiance, then the mist over it (raster._sky)
    vec3 d = normalize(pix2dir * vec3(gl_FragCoord.xy, 1.0));
    vec3 rad = gradient(d.z);
    float dens = 0.0;
    if (cloud_cover > 0.0) {
        float inv = 1000.0 / max(d.z, 0.03);
        float n = nbil(fbm, d.xy * inv, cloud_scale / 24.0, 0.0);
        float cut = 1.1 - 2.2 * cloud_cover;
        dens = clamp((n - cut) * 0.9, 0.0, 1.0) * clamp(d.z * 5.0, 0.0, 1.0);
        float thick = 1.0 - 0.35 * clamp(n - cut - 0.6, 0.0, 1.0);
        rad += dens * (thick * cloud - rad);
    }
    if (max(sun.r, max(sun.g, sun.b)) > 0.0) {
        float ang = sqrt(max(2.0 * (1.0 - dot(d, sun_dir)), 0.0));
        float glow = 0.08 * exp(-18.0 * ang) + 0.03 * exp(-3.0 * ang);
        if (ang < sun_disc + 3.0 * pixel_angle)
            glow += clamp((sun_disc - ang) / max(pixel_angle, 1e-5) + 0.5, 0.0, 1.0) * 30.0;
        glow *= 1.0 - 0.8 * dens;
        rad += glow * sun;
    }
    rad = haze + (rad - haze) * sky_keep;
    frag = vec4(finish(tone(rad)), 1.0);
}
"""

FRAGMENT = """
#version 330
uniform vec3 eye;
uniform usampler2D ground;    // Occ3D class of the ground raster
uniform vec4 ground_box;      // x0, y0, 1/res, unused
uniform sampler2D materials;  // gl_tables.materials
uniform sampler2D palettes;   // gl_tables.palettes rows
uniform int pal_len[16];
uniform sampler2D vparts;     // gl_tables.vehicle_parts
uniform sampler2D sparts;     // gl_tables.shape_parts
uniform sampler2D agents;     // gl_tables.agent_table
uniform int n_agents;
uniform usampler2D building_ids; uniform sampler2D building_h; uniform vec4 building_box;  // x0, y0, 1/res
uniform isampler2D mark_index; uniform sampler2DArray mark_tiles; uniform ivec4 mark_box;  // tx0, ty0, T, shift
uniform float mark_res;
uniform int hair_row; uniform int skin_row; uniform int paint_row; uniform int pskin_row; uniform int pcloth_row;
uniform vec3 marking_white; uniform vec3 marking_yellow; uniform vec3 curb_color; uniform vec3 window_glass;
uniform vec3 window_lit; uniform float marking_wear; uniform float marking_distance; uniform float lit_fraction;
uniform float fx;
uniform sampler2DShadow shadow_map;
uniform mat4 sun_vp; uniform vec3 center; uniform float shadows_on;
uniform vec4 lpos[64]; uniform vec4 ldir[64]; uniform vec4 lcol[64]; uniform int n_lights;
uniform float wetness;
uniform float fog_density;  // haze_density beyond the clear-day environment's (recorded surfaces)
""" + COMMON + """
in vec3 v_pos; in vec3 v_nrm; in vec3 v_colour; flat in uvec2 v_label;
out vec4 frag;

// A recorded surface (a reconstructed background) shows the colour the recording's cameras saw: the radiance that
// the tone curve maps back onto it (inverse sRGB, then the inverse of the extended Reinhard curve, white 4),
// dimmed at night. The recording's own light, shadows, haze and vignetting are in that colour already, so only
// the fog of a layout's weather (beyond clear-day haze) and the sensor noise are added.
vec3 recorded_radiance(vec3 srgb) {
    vec3 y = mix(srgb / 12.92, pow((srgb + 0.055) / 1.055, vec3(2.4)), step(0.04045, srgb));
    vec3 x = 8.0 * (sqrt((1.0 - y) * (1.0 - y) + y / 4.0) - (1.0 - y));
    return x / max(exposure, 1e-6) * (1.0 - 0.95 * night);
}

vec3 albedo; float spec; float shin; float f0; vec3 emit;
vec3 P; vec3 N; float foot; float dist; int inst; int cls;

vec3 pal_pick(int row, int id, int salt, vec3 fallback) {  // materials.pick_colors
    if (row < 0) return fallback;
    int n = pal_len[row];
    return texelFetch(palettes, ivec2(int(hash2(id, salt) % uint(n)), row), 0).rgb;
}
vec3 parts_pick(int row, int id, int salt) {  // parts._pick
    int n = pal_len[row];
    int k = ((id % n) * int(2654435761u % uint(n)) + salt) % n;
    return texelFetch(palettes, ivec2(k, row), 0).rgb;
}
void base(vec3 col, float jitter, float value, vec4 m1) {  // materials._base
    albedo = col * clamp(1.0 + value * jitter, 0.05, 3.0);
    spec = m1.x; shin = m1.y;
}
vec2 wall_uv() {
    if (abs(N.z) > 0.7) return P.xy;
    float hn = length(N.xy) + 1e-6;
    return vec2((P.y * N.x - P.x * N.y) / hn, P.z);
}
float soft(float d) { return clamp(d / foot + 0.5, 0.0, 1.0); }
vec3 tiles(vec2 p, float size, float joint, bool offset_rows) {  // materials._tiles: (iu, iv, joint mask)
    float fv = p.y / size; float iv = floor(fv);
    float fu = p.x / size;
    if (offset_rows) fu += 0.5 * float(int(iv) & 1);
    float iu = floor(fu);
    fu -= iu + 0.5; fv -= iv + 0.5;
    float edge = 0.5 - max(abs(fu), abs(fv));
    float scale = max(foot / size, 1e-6);
    float mask = clamp((joint / size / 2.0 - edge) / scale + 0.5, 0.0, 1.0);
    float far = clamp(foot / joint - 0.5, 0.0, 1.0);
    mask += far * (2.0 * joint / size - mask);
    return vec3(iu, iv, mask);
}
vec4 marks(vec2 p) {  // MarkingRaster.lookup: bilinear coverage of white, yellow, kerb
    vec2 u = p / mark_res;
    ivec2 iu = ivec2(floor(u));
    vec2 f = u - vec2(iu);
    ivec2 t = (iu >> mark_box.w) - mark_box.xy;
    ivec2 sz = textureSize(mark_index, 0);
    if (any(lessThan(t, ivec2(0))) || any(greaterThanEqual(t, sz))) return vec4(0.0);
    int slot = texelFetch(mark_index, t, 0).r - 1;
    if (slot < 0) return vec4(0.0);
    ivec2 c = iu & (mark_box.z - 1);
    vec4 c00 = texelFetch(mark_tiles, ivec3(c, slot), 0), c10 = texelFetch(mark_tiles, ivec3(c + ivec2(1, 0), slot), 0);
    vec4 c01 = texelFetch(mark_tiles, ivec3(c + ivec2(0, 1), slot), 0);
    vec4 c11 = texelFetch(mark_tiles, ivec3(c + ivec2(1, 1), slot), 0);
    vec4 a = c00 + (c10 - c00) * f.x, b = c01 + (c11 - c01) * f.x;
    return a + (b - a) * f.y;
}
void asphalt(vec3 col, float jit, vec4 m1) {
    float v = 0.6 * nbil(fbm, P.xy, 1.6, 0.0) + 0.6 * nnear(grain, P.xy, m1.w, foot);
    base(col, jit, v, m1);
    if (dist >= marking_distance) return;
    vec4 c = marks(P.xy);
    float total = c.r + c.g;
    if (total <= 0.0) return;
    total = max(total, 1e-6);
    float wear = nbil(fbm, P.xy, 0.15, 0.0);
    float g = nnear(grain, P.xy, 0.01, foot);
    float keep = clamp(1.0 - marking_wear * (0.6 + 0.5 * wear + 0.3 * g), 0.0, 1.0);
    float amount = min(total, 1.0) * keep;
    vec3 paint = (c.r * marking_white + c.g * marking_yellow) / total * (1.0 + 0.08 * g);
    albedo += amount * (paint - albedo);
    spec += amount * 0.1;
}
void paving(vec3 col, float jit, vec4 m1) {
    vec3 t = tiles(P.xy, m1.w, 0.012 + 0.02 * m1.w, true);
    float v = (h01(hash3(int(t.x), int(t.y), 11)) - 0.5) * 1.2 + 0.5 * nnear(grain, P.xy, 0.01, foot)
              + 0.3 * nbil(fbm, P.xy, 1.5, 0.0);
    base(col, jit, v, m1);
    albedo *= 1.0 - 0.45 * t.z;
    if (dist < marking_distance) {
        float curb = marks(P.xy).b;
        albedo += curb * (curb_color - albedo);
    }
}
void concrete(vec3 col, float jit, vec4 m1) {
    vec3 t = tiles(P.xy, m1.w, 0.02, false);
    float v = (h01(hash3(int(t.x), int(t.y), 13)) - 0.5) * 0.5 + 0.5 * nbil(fbm, P.xy, 0.7, 0.0)
              + 0.5 * nnear(grain, P.xy, 0.008, foot);
    base(col, jit, v, m1);
    albedo *= 1.0 - 0.4 * t.z;
}
void grass(vec3 col, float jit, vec4 m1) {
    float broad = nbil(fbm, P.xy, m1.w, 0.0);
    base(col, jit, 0.5 * broad + 0.8 * nnear(grain, P.xy, 0.02, foot), m1);
    float dry = clamp(broad * 0.3 + 0.05, 0.0, 0.5);
    vec3 brown = vec3(0.304987, 0.215861, 0.088656);
    albedo += dry * (brown * (albedo / col) - albedo);
}
void foliage(vec3 col, float jit, vec4 m1) {
    vec2 uv = wall_uv();
    float clump = nbil(fbm, uv, m1.w, foot);
    base(col, jit, 0.9 * clump + 0.7 * nnear(grain, uv, m1.w * 0.08, foot), m1);
    float gap = clamp(clump + 0.3, -1.0, 0.0) * 0.6 + 1.0;
    gap *= clamp(P.z / 3.0, 0.0, 1.0) * 0.35 + 0.65;
    albedo *= gap;
    float hue = clamp(nbil(fbm, uv + vec2(50.0, 0.0), m1.w * 4.0, 0.0), -1.0, 1.0) * 0.25;
    albedo.r *= 1.0 + hue; albedo.b *= 1.0 - hue;
}
void plain(vec3 col, float jit, vec4 m1) {
    vec2 uv = wall_uv();
    base(col, jit, nnear(grain, uv, m1.w, foot) + 0.5 * nbil(fbm, uv, 0.5, 0.0), m1);
}
void windows(int bid, float height, vec2 uv, float scale) {  // materials._windows
    float z = uv.y, u = uv.x;
    float r_floor = h01(hash2(bid, 1)), r_bay = h01(hash2(bid, 2)), r_width = h01(hash2(bid, 3));
    float r_offset = h01(hash2(bid, 4)), r_frame = h01(hash2(bid, 8));
    float fh = scale * (0.92 + 0.2 * r_floor);
    float ground_h = fh * 1.25;
    float bay = 2.2 + 1.6 * r_bay;
    float half_w = (0.175 + 0.15 * r_width) * bay;
    float ft = max(foot, 1e-4);
    float tz = (z - ground_h) / fh;
    int floor_i = int(floor(tz)); tz -= float(floor_i);
    float fu = u / bay + r_offset;
    int col_i = int(floor(fu));
    fu = abs(fu - float(col_i) - 0.5) * bay;
    bool upper = z >= ground_h && z < height - 0.9;
    float d = min(tz - 0.28, 0.82 - tz) * fh;
    d = min(d, half_w - fu) - (upper ? 0.0 : 100.0);
    float opening = clamp(d / ft + 0.5, 0.0, 1.0);
    float glass = clamp((d - 0.07) / ft + 0.5, 0.0, 1.0);
    bool slab = min(tz, 1.0 - tz) * fh < 0.1;
    float shade = 1.0 - 0.12 * float(upper && slab) - 0.25 * float(z > height - 0.6 || z < 0.3);
    uint h = hash2(bid * 1000003 + floor_i * 7919 + col_i, 6);
    float tint = h01(h);
    bool lit = float(h & 255u) < 256.0 * lit_fraction;
    if (z < ground_h) {  // shop fronts
        float us = u / 4.5;
        float bs = floor(us);
        float shop = clamp(min((0.46 - abs(us - bs - 0.5)) * 4.5, min(z - 0.35, ground_h - 0.9 - z)) / ft + 0.5,
                           0.0, 1.0);
        shop *= float(h01(hash2(bid * 7919 + int(bs), 5)) < 0.8);
        glass = shop; opening = shop; tint = 0.5; lit = shop > 0.0;
    }
    float keep = (1.0 - opening) * shade;
    float frame_ = (opening - glass) * (r_frame < 0.6 ? 0.75 : 0.05);
    float pane = (tint * 0.6 + 0.6) * glass;
    albedo = albedo * keep + frame_ + pane * window_glass;
    f0 += glass * 0.12; spec += glass * 0.6; shin += glass * 400.0;
    if (night > 0.0) emit += window_lit * (glass * float(lit) * night * 0.3 * (0.4 + tint));
}
void facade(vec3 col, float jit, vec4 m1, int prow) {
    vec2 uv = wall_uv();
    vec2 q = (P.xy - 0.15 * N.xy - building_box.xy) * building_box.z;
    ivec2 bi = ivec2(floor(q));
    ivec2 bs = textureSize(building_ids, 0);
    int bid = all(greaterThanEqual(bi, ivec2(0))) && all(lessThan(bi, bs)) ? int(texelFetch(building_ids, bi, 0).r) : 0;
    float height = texelFetch(building_h, ivec2(bid, 0), 0).r;
    float gr = nnear(grain, uv, 0.015, foot), smear = nbil(fbm, uv, 1.2, foot);
    base(pal_pick(prow, bid, 21, col), jit, 0.35 * gr + 0.5 * smear, m1);
    if (bid == 0) {  // poles, signs, benches, raised areas: painted metal / concrete
        albedo = vec3(0.181164, 0.187821, 0.201556) * clamp(1.0 + 0.2 * gr, 0.5, 2.0);
        spec = 0.25; shin = 60.0;
        return;
    }
    if (abs(N.z) <= 0.7) windows(bid, height, uv, m1.w);
    if (N.z > 0.7) albedo = vec3(0.116971, 0.111932, 0.107023) * clamp(1.0 + 0.3 * gr + 0.3 * smear, 0.3, 2.0);
}
// materials._local: the hit point in its agent's box frame.
struct Local { float x; float y; float z; float nx; float ny; float len; float wid; float h; };
Local local_frame(float default_h) {
    Local l;
    int i = inst < n_agents ? inst : 0;
    vec4 a0 = texelFetch(agents, ivec2(i, 0), 0), a1 = texelFetch(agents, ivec2(i, 1), 0);
    bool known = a1.w > 0.0;
    float k = float(known);
    vec2 dd = P.xy - a0.xy;
    l.x = (a0.w * dd.x + a1.x * dd.y) * k; l.y = (a0.w * dd.y - a1.x * dd.x) * k;
    l.nx = (a0.w * N.x + a1.x * N.y) * k; l.ny = (a0.w * N.y - a1.x * N.x) * k;
    l.z = known ? P.z - a0.z : P.z;
    l.len = a1.y; l.wid = a1.z; l.h = known ? a1.w : default_h;
    return l;
}
void vehicle(vec3 col, float jit, vec4 m1, int prow) {
    vec4 m2 = texelFetch(materials, ivec2(cls, 2), 0);
    vec4 plan = texelFetch(materials, ivec2(cls, 3), 0), plan2 = texelFetch(materials, ivec2(cls, 4), 0);
    Local l = local_frame(m2.y);
    float zf = l.z / l.h;
    vec2 uv = wall_uv();
    float g = nnear(grain, uv, 0.02, foot);
    base(pal_pick(prow, inst, 31, col), jit, g, m1);
    f0 = 0.05;
    bool vert = abs(N.z) < 0.5;
    bool glass = vert && zf > plan.x && zf < plan.y;
    int part = vert && l.z < 0.3 ? 2 : 0;
    bool front = vert && l.nx > 0.7, back = vert && l.nx < -0.7, side = vert && abs(l.ny) > 0.7;
    float from_front = l.len / 2.0 - l.x;
    if (plan.z >= 0.0) {
        bool behind = from_front > plan.z;
        glass = glass && !behind;
        if (plan2.z > 0.5 && prow >= 0 && behind) albedo = col * clamp(1.0 + jit * g, 0.05, 3.0);
    }
    glass = glass && (!side || (from_front > 0.9 && l.x > -l.len / 2.0 + 0.5));
    glass = glass && ((!front && !back) || abs(l.y) < l.wid / 2.0 - 0.12);
    if (plan.w > 0.0) {
        float q = from_front / plan.w;
        glass = glass && (!side || abs(q - trunc(q) - 0.5) < 0.45);
    } else {
        glass = glass && (!side || abs(l.x + 0.1 * l.len) > 0.07);
    }
    float r = m1.w;
    float wx = l.x > 0.0 ? l.len / 2.0 - plan2.x : -l.len / 2.0 + plan2.y;
    float d = length(vec2(l.x - wx, l.z - r));
    if (side && d < r) part = 2;
    if (side && d < 0.55 * r) part = 3;
    if (front && zf > 0.22 && zf < 0.42 && abs(l.y) < l.wid / 2.0 - 0.45) part = 2;
    bool lamp = zf > 0.45 && zf < 0.6 && abs(l.y) > l.wid / 2.0 - 0.42;
    if (front && lamp) part = 4;
    if (back && lamp) part = 5;
    if (glass) part = 1;
    if (part == 0) return;
    vec4 p0 = texelFetch(vparts, ivec2(part, 0), 0), p1 = texelFetch(vparts, ivec2(part, 1), 0);
    albedo = p0.rgb; spec = p0.a; shin = p1.x; f0 = p1.y;
    if (night > 0.0) {
        emit = texelFetch(vparts, ivec2(part, 2), 0).rgb;
        float state = texelFetch(agents, ivec2(min(inst, n_agents - 1), 2), 0).r;
        if (part == 4 || part == 5) emit *= min(state, 1.0);
        if (part == 5 && state > 1.5) emit *= 4.0;
    }
}
void person(vec3 col, float jit, vec4 m1, int prow) {
    vec4 m2 = texelFetch(materials, ivec2(cls, 2), 0);
    Local l = local_frame(m2.y);
    float zf = l.z / l.h;
    float g = nnear(grain, vec2(P.x + P.y, P.z), m1.w, foot);
    vec3 shirt = pal_pick(prow, inst, 41, col), legs = pal_pick(prow, inst, 42, col) * 0.6;
    base(zf < 0.5 ? legs : shirt, jit, g * 0.5, m1);
    bool head = zf > 0.86;
    if (head) albedo = skin_row >= 0 ? pal_pick(skin_row, inst, 43, col) : vec3(0.577581, 0.351533, 0.223228);
    if (zf > 0.95 || (head && zf > 0.9 && h01(hash2(inst, 45)) < 0.5)) albedo = pal_pick(hair_row, inst, 44, col);
    if (zf < 0.05) albedo = vec3(0.012983, 0.011612, 0.011612);
}
void cycle_(vec3 col, float jit, vec4 m1, int prow) {
    vec4 m2 = texelFetch(materials, ivec2(cls, 2), 0);
    Local l = local_frame(m2.y);
    float zf = l.z / l.h;
    float g = nnear(grain, vec2(P.x + P.y, P.z), m1.w, foot);
    base(col, jit, g * 0.5, m1);
    if (zf > 0.45) { albedo = pal_pick(prow, inst, 51, col) * clamp(1.0 + 0.2 * g, 0.5, 1.5); spec = 0.05; }
    if (zf > 0.86) { albedo = pal_pick(paint_row, inst, 52, col); spec = 0.5; }
}
void cone(vec3 col, float jit, vec4 m1) {
    vec4 m2 = texelFetch(materials, ivec2(cls, 2), 0);
    Local l = local_frame(m2.y);
    float zf = l.z / l.h;
    base(col, jit, nnear(grain, vec2(P.x + P.y, P.z), m1.w, foot) * 0.5, m1);
    if (zf > 0.45 && zf < 0.65) albedo = vec3(0.791298, 0.791298, 0.760525);
    if (zf < 0.07) albedo = vec3(0.012983);
}
void barrier(vec3 col, float jit, vec4 m1) {
    vec2 uv = wall_uv();
    vec4 m2 = texelFetch(materials, ivec2(cls, 2), 0);
    Local l = local_frame(m2.y);
    float zf = l.z / l.h;
    base(col, jit, nnear(grain, uv, m1.w, foot) * 0.5, m1);
    if (zf > 0.55 && zf < 0.95 && (int(floor((uv.x + l.z) / 0.35)) & 1) == 0) albedo = vec3(0.514918, 0.012983, 0.011612);
}
void wet_ground() {  // weather.wet
    float dark = 1.0; bool pools = false;
    if (cls == 11) { dark = 0.5; pools = true; }
    else if (cls == 12 || cls == 13) { dark = 0.6; pools = true; }
    else if (cls == 14) dark = 0.8;
    else if (cls == 15) dark = 0.85;
    albedo *= 1.0 - (1.0 - dark) * wetness;
    if (!pools) return;
    float up = clamp(N.z, 0.0, 1.0);
    float puddle = clamp((nbil(fbm, P.xy + vec2(37.0, -11.0), 0.9, 0.0) - 0.55) * 2.5, 0.0, 1.0) * up;
    f0 = max(f0, puddle > 0.1 ? 0.02 * wetness : 0.0);
    spec += 0.5 * wetness * up;
    shin = max(shin, 60.0 + 800.0 * puddle);
    albedo *= 1.0 - 0.4 * puddle;
}
vec3 reflected(float rz) {  // lighting.reflected
    vec3 s = gradient(rz);
    float t = clamp(rz / 0.35, 0.0, 1.0); t = t * t * (3.0 - 2.0 * t);
    vec3 street = 0.35 * ground_amb + 0.1 * sun * max(sun_dir.z, 0.0);
    return s * t + (1.0 - t) * street;
}
void main() {
    cls = int(v_label.x & 255u);
    int smat = int((v_label.x >> 8) & 255u);
    inst = int(v_label.y);
    P = v_pos;
    if ((v_label.x >> 16) != 0u) {
        vec3 rad = recorded_radiance(clamp(v_colour, 0.0, 1.0));
        if (fog_density > 0.0) rad = haze + (rad - haze) * exp(-fog_density * max(length(P - eye), 1e-6));
        frag = vec4(finish_vig(tone(rad), 0.0), 1.0);
        return;
    }
    if (cls == 255) {
        ivec2 c = clamp(ivec2((P.xy - ground_box.xy) * ground_box.z), ivec2(0), textureSize(ground, 0) - 1);
        cls = int(texelFetch(ground, c, 0).r);
    }
    N = normalize(v_nrm);
    vec3 vv = P - eye;
    dist = max(length(vv), 1e-6);
    float ndv = max(abs(dot(N, vv)) / dist, 0.25);
    foot = dist / fx / ndv;
    vec4 m0 = texelFetch(materials, ivec2(cls, 0), 0), m1 = texelFetch(materials, ivec2(cls, 1), 0);
    int prow = int(texelFetch(materials, ivec2(cls, 2), 0).x);
    int kind = int(m1.z + 0.5);
    f0 = 0.0; emit = vec3(0.0);
    if (kind == 1) asphalt(m0.rgb, m0.a, m1);
    else if (kind == 2) concrete(m0.rgb, m0.a, m1);
    else if (kind == 3) paving(m0.rgb, m0.a, m1);
    else if (kind == 4) grass(m0.rgb, m0.a, m1);
    else if (kind == 5) foliage(m0.rgb, m0.a, m1);
    else if (kind == 6) facade(m0.rgb, m0.a, m1, prow);
    else if (kind == 7) vehicle(m0.rgb, m0.a, m1, prow);
    else if (kind == 8) cycle_(m0.rgb, m0.a, m1, prow);
    else if (kind == 9) person(m0.rgb, m0.a, m1, prow);
    else if (kind == 10) cone(m0.rgb, m0.a, m1);
    else if (kind == 11) barrier(m0.rgb, m0.a, m1);
    else plain(m0.rgb, m0.a, m1);
    if (wetness > 0.0) wet_ground();
    if (smat > 0) {  // parts.shade_parts
        vec4 s0 = texelFetch(sparts, ivec2(smat, 0), 0), s1 = texelFetch(sparts, ivec2(smat, 1), 0);
        vec4 s2 = texelFetch(sparts, ivec2(smat, 2), 0);
        int look = int(s2.y + 0.5);
        if (look == 1) { albedo = s0.rgb; spec = s0.a; shin = s1.a; f0 = s2.x; emit = s1.rgb; }
        else if (look == 2) { albedo = parts_pick(pskin_row, inst, 17); spec = s0.a; shin = s1.a; f0 = 0.0; }
        else if (look == 3) { albedo = parts_pick(pcloth_row, inst, 5); spec = s0.a; shin = s1.a; f0 = 0.0; }
    }
    // lighting.shade
    float ndl = max(dot(N, sun_dir), 0.0);
    bool sun_on = max(sun.r, max(sun.g, sun.b)) > 0.0;
    if (shadows_on > 0.5 && ndl > 0.0) {
        vec4 s = sun_vp * vec4(P + 0.05 * N - center, 1.0);
        vec3 sc = s.xyz * 0.5 + 0.5;
        if (all(greaterThan(sc, vec3(0.0))) && all(lessThan(sc, vec3(1.0))))
            ndl *= texture(shadow_map, vec3(sc.xy, sc.z - 0.0005));  // linear filtering: 2x2 PCF in one fetch
    }
    vec3 light = N.z * 0.5 * (sky_amb - ground_amb) + 0.5 * (sky_amb + ground_amb);
    if (sun_on) light += ndl * sun;
    vec3 lit = vec3(0.0);
    vec3 v = -vv / (dist + 1e-6);
    bool glossy = shin > 8.0 || f0 > 0.0;
    float e = max(shin, 8.0), ks = spec + 4.0 * f0;
    for (int i = 0; i < n_lights; i++) {  // night.illuminate and night.highlights
        vec3 l = lpos[i].xyz - P; float d2 = dot(l, l) + 0.05; l *= inversesqrt(d2);
        float r = lpos[i].w;
        if (d2 > r * r) continue;
        float cone = clamp((dot(-l, ldir[i].xyz) - ldir[i].w) / max(lcol[i].w - ldir[i].w, 1e-3), 0.0, 1.0);
        float fade = clamp(1.0 - d2 / (r * r), 0.0, 1.0);
        float ndl_l = max(dot(N, l), 0.0);
        lit += albedo * lcol[i].rgb * (ndl_l * cone * cone * fade / d2);
        if (glossy) {
            vec3 hv = normalize(l + v);
            float ndh = clamp(dot(N, hv), 1e-4, 1.0);
            lit += lcol[i].rgb * (pow(ndh, e) * (e + 8.0) / 25.132741 * min(ndl_l, 1.0) * cone / d2 * ks);
        }
    }
    vec3 rad = albedo * light;
    if (shin > 8.0 && sun_on) {
        vec3 hv = normalize(v + sun_dir);
        float ndh = clamp(dot(N, hv), 1e-4, 1.0);
        rad += sun * (pow(ndh, shin) * (shin + 8.0) * spec * ndl / 25.132741);
    }
    if (f0 > 0.0) {
        float c = clamp(dot(N, v), 0.0, 1.0);
        float x = 1.0 - c;
        float fres = f0 + (1.0 - f0) * x * x * x * x * x;
        rad += fres * reflected(2.0 * c * N.z - v.z);
    }
    if (night > 0.0) rad += emit;
    rad += lit;
    if (haze_density > 0.0) rad = haze + (rad - haze) * exp(-haze_density * dist);
    frag = vec4(finish(tone(rad)), 1.0);
}
"""
